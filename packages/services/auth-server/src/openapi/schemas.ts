/**
 * JSON Schemas (OpenAPI 3.1) of the authorization server's request and answer bodies, as
 * oidc-provider reads and writes them (RFC 6749, 7009, 7591, 7662, 9126, 9396, 9449).
 */
import { OIDC_SCOPES, RESOURCE_SCOPES } from '../scopes.ts';

const TEXT = { type: 'string', maxLength: 4096 };
const SCOPE = {
  type: 'string', maxLength: 1024, pattern: '^[!#-\\[\\]-~]+( [!#-\\[\\]-~]+)*$',
  description: `Space-separated scopes (RFC 6749 §3.3) of ${[...OIDC_SCOPES, ...RESOURCE_SCOPES].map((scope) => `\`${scope}\``).join(', ')}.`,
};
const CLIENT_ID = { type: 'string', maxLength: 255, description: 'Your client id.' };
const URI = { type: 'string', format: 'uri', maxLength: 2048 };
const SECONDS = { type: 'integer', format: 'int64', minimum: 0, maximum: 9_007_199_254_740_991 };
const AUTHORIZATION_DETAILS_TEXT = {
  type: 'string', maxLength: 16_384, description: 'RFC 9396: a JSON array of one `payment_initiation` or `payment_mandate` element, as text.',
};
const AUTHORIZATION_DETAILS = {
  type: 'array', maxItems: 10, description: 'RFC 9396 elements granted: the element as requested plus `consent_id` and `debtor_account`.',
  items: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: ['payment_initiation', 'payment_mandate'] } } },
};

/** Client authentication in the body (RFC 6749 §2.3.1 `client_secret_post`, RFC 7523 `private_key_jwt`, or a public client's `client_id`). */
const CLIENT_AUTHENTICATION_PROPERTIES = {
  client_id: CLIENT_ID,
  client_secret: { type: 'string', maxLength: 1024, description: '`client_secret_post` only; prefer the Authorization header (`client_secret_basic`).' },
  client_assertion_type: { type: 'string', enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'], description: '`private_key_jwt` (RFC 7523 §2.2).' },
  client_assertion: { type: 'string', maxLength: 8192, description: '`private_key_jwt`: a JWT signed with your registered key, `aud` = the issuer.' },
};

/** `components.schemas` of the authorization server's document. */
export const AUTH_SCHEMAS = {
  TokenRequest: {
    type: 'object',
    required: ['grant_type'],
    description: 'One of three grants, by `grant_type`; the members each needs are listed with it. Client authentication: the Authorization header (`client_secret_basic`) or the body (`client_id` with `client_secret`, or `client_assertion`).',
    properties: {
      grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token', 'client_credentials'] },
      code: { type: 'string', maxLength: 512, description: '`authorization_code`: the `code` of the authorization response (valid 60 s, once).' },
      redirect_uri: { ...URI, description: '`authorization_code`: the same redirect URI as in the authorization request.' },
      code_verifier: { type: 'string', minLength: 43, maxLength: 128, pattern: '^[A-Za-z0-9._~-]{43,128}$', description: '`authorization_code`: the PKCE verifier (RFC 7636) whose S256 challenge the authorization request carried.' },
      refresh_token: { type: 'string', maxLength: 512, description: '`refresh_token`: the latest refresh token (each use rotates it; a used one revokes the grant).' },
      scope: { ...SCOPE, description: '`client_credentials`: `webhooks:manage`, required (the only scope this grant gives; others are `invalid_scope`). `refresh_token`: optionally fewer scopes than granted.' },
      resource: { ...URI, description: 'RFC 8707 resource indicator; the only one is the resource API (the default).' },
      authorization_details: AUTHORIZATION_DETAILS_TEXT,
      ...CLIENT_AUTHENTICATION_PROPERTIES,
    },
  },
  TokenResponse: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in'],
    properties: {
      access_token: { type: 'string', maxLength: 8192, description: 'An RFC 9068 JWT for the resource API (`aud` = its URL), 300 s.' },
      token_type: { type: 'string', enum: ['Bearer', 'DPoP'], description: '`DPoP` when the request carried a DPoP proof (RFC 9449 §5).' },
      expires_in: { ...SECONDS, maximum: 300 },
      scope: SCOPE,
      refresh_token: { type: 'string', maxLength: 512, description: 'With `offline_access` granted (asked with `prompt=consent`).' },
      id_token: { type: 'string', maxLength: 8192, description: 'With `openid` (authorization code grant).' },
      authorization_details: AUTHORIZATION_DETAILS,
    },
  },
  RevocationRequest: {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string', maxLength: 8192, description: 'An access or refresh token your client holds; revoking one revokes its whole grant.' },
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...CLIENT_AUTHENTICATION_PROPERTIES,
    },
  },
  IntrospectionRequest: {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string', maxLength: 8192 },
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...CLIENT_AUTHENTICATION_PROPERTIES,
    },
  },
  IntrospectionResponse: {
    type: 'object',
    required: ['active'],
    description: 'RFC 7662 §2.2. `active: true` only to the token\'s own client or a registered resource server; everyone else gets `{"active": false}`.',
    properties: {
      active: { type: 'boolean' },
      client_id: CLIENT_ID,
      sub: { type: 'string', maxLength: 255 },
      scope: SCOPE,
      token_type: { type: 'string', enum: ['Bearer', 'DPoP', 'refresh_token'] },
      iss: URI,
      aud: { ...URI, description: 'The resource API.' },
      iat: SECONDS,
      exp: SECONDS,
      jti: { type: 'string', maxLength: 255 },
      cnf: { type: 'object', properties: { jkt: { type: 'string', maxLength: 128 } }, description: 'The DPoP key thumbprint of a bound token (RFC 9449 §6.2).' },
      authorization_details: AUTHORIZATION_DETAILS,
    },
  },
  ClientRegistrationRequest: {
    type: 'object',
    required: ['redirect_uris'],
    description: 'RFC 7591 §2 client metadata. Redirect URIs are `https` (or `http` on localhost, 127.0.0.1 or [::1]), without fragment or credentials, written as the URL Standard writes them back, at most 10.',
    properties: {
      redirect_uris: { type: 'array', minItems: 1, maxItems: 10, items: URI },
      client_name: { type: 'string', maxLength: 100 },
      grant_types: { type: 'array', maxItems: 3, items: { type: 'string', enum: ['authorization_code', 'refresh_token', 'client_credentials'] } },
      response_types: { type: 'array', maxItems: 1, items: { type: 'string', enum: ['code'] } },
      scope: SCOPE,
      token_endpoint_auth_method: { type: 'string', enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] },
      jwks: { type: 'object', description: 'Your public keys for `private_key_jwt`, inline (no `jwks_uri`).', properties: { keys: { type: 'array', maxItems: 10, items: { type: 'object' } } } },
      post_logout_redirect_uris: { type: 'array', maxItems: 10, items: URI },
      dpop_bound_access_tokens: { type: 'boolean' },
    },
  },
  ClientRegistrationResponse: {
    type: 'object',
    required: ['client_id', 'redirect_uris', 'registration_access_token', 'registration_client_uri'],
    description: 'RFC 7591 §3.2.1: the metadata as registered, plus the client\'s credentials. `client_secret` is shown this once (only its hash is kept).',
    properties: {
      client_id: CLIENT_ID,
      client_secret: { type: 'string', maxLength: 100, pattern: '^sk_(sandbox|live)_[0-9A-Za-z]+$', description: '`sk_sandbox_…` or `sk_live_…` with a checksum; absent for `private_key_jwt` and `none`.' },
      client_id_issued_at: SECONDS,
      client_secret_expires_at: { ...SECONDS, description: '0: does not expire (rotate it on the developer portal).' },
      client_name: { type: 'string', maxLength: 100 },
      redirect_uris: { type: 'array', maxItems: 10, items: URI },
      grant_types: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 64 } },
      token_endpoint_auth_method: { type: 'string', maxLength: 64 },
      registration_access_token: { type: 'string', maxLength: 512, description: 'Reads the registration back at `registration_client_uri` (RFC 7592).' },
      registration_client_uri: URI,
    },
  },
  PushedAuthorizationRequest: {
    type: 'object',
    required: ['response_type', 'redirect_uri', 'code_challenge', 'code_challenge_method'],
    description: 'RFC 9126: the authorization request\'s parameters, sent by your server with its client authentication; the browser then opens `/auth?client_id=…&request_uri=…`.',
    properties: {
      response_type: { type: 'string', enum: ['code'] },
      redirect_uri: URI,
      scope: SCOPE,
      state: { type: 'string', maxLength: 512 },
      code_challenge: { type: 'string', minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$', description: 'BASE64URL(SHA-256(code_verifier)) (RFC 7636 §4.2).' },
      code_challenge_method: { type: 'string', enum: ['S256'] },
      prompt: { type: 'string', enum: ['consent', 'login', 'none'], description: '`consent` is needed for a refresh token (`offline_access`).' },
      nonce: { type: 'string', maxLength: 512 },
      resource: URI,
      authorization_details: AUTHORIZATION_DETAILS_TEXT,
      ...CLIENT_AUTHENTICATION_PROPERTIES,
    },
  },
  PushedAuthorizationResponse: {
    type: 'object',
    required: ['request_uri', 'expires_in'],
    properties: {
      request_uri: { type: 'string', maxLength: 255, pattern: '^urn:ietf:params:oauth:request_uri:', description: 'Pass it to `/auth` with your `client_id`, once.' },
      expires_in: { ...SECONDS, maximum: 600 },
    },
  },
  OAuthError: {
    type: 'object',
    required: ['error'],
    description: 'RFC 6749 §5.2 (and the RFCs of each endpoint): a stable `error` code and a sentence saying what is wrong.',
    properties: {
      error: { type: 'string', maxLength: 64, pattern: '^[a-z_]+$' },
      error_description: { ...TEXT, maxLength: 1000 },
    },
  },
} as const;
