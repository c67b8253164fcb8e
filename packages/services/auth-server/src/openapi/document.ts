/**
 * The authorization server's OpenAPI 3.1 document (`GET /openapi.json`): the endpoints a partner's
 * backend calls directly (token, introspection, revocation, registration, pushed authorization
 * requests), as oidc-provider answers them here. The browser endpoints (`/auth`, the pages) and
 * discovery are described by OpenID Connect Discovery itself (`/.well-known/openid-configuration`).
 */
import type { PayapiEnvironment, SecurityProfile } from '@payapi/platform';
import { AUTH_SCHEMAS } from './schemas.ts';

/** What the document names: this server, the resource API its tokens are for, the deployment. */
export interface AuthOpenApiSettings {
  issuer: string;
  resourceApiUrl: string;
  environment: PayapiEnvironment;
  securityProfile: SecurityProfile;
}

/** Headers of every answer of these endpoints. */
const ANSWER_HEADERS = {
  'x-fapi-interaction-id': { $ref: '#/components/headers/InteractionId' },
  'Access-Control-Allow-Origin': { $ref: '#/components/headers/Access-Control-Allow-Origin' },
};
const NO_STORE = { description: '`no-store`: token answers are never cached (RFC 6749 §5.1).', schema: { type: 'string', enum: ['no-store'] } };

/** An answer in OAuth's error format whose `error` is one of `codes` (RFC 6749 §5.2 and each endpoint's RFC). */
function oauthError(description: string, codes: readonly string[], headers: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    description,
    headers: { ...ANSWER_HEADERS, ...headers },
    content: {
      'application/json': {
        schema: { allOf: [{ $ref: '#/components/schemas/OAuthError' }, { type: 'object', properties: { error: { type: 'string', enum: [...codes] } } }] },
        examples: Object.fromEntries(codes.map((code) => [code, { value: { error: code, error_description: description.replace(/^[^:]+: /, '') } }])),
      },
    },
  };
}

function json(description: string, schema: string, example: unknown, headers: Record<string, unknown> = {}): Record<string, unknown> {
  return { description, headers: { ...ANSWER_HEADERS, ...headers }, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example } } };
}

function form(schema: string, example: Record<string, string>): Record<string, unknown> {
  return { required: true, content: { 'application/x-www-form-urlencoded': { schema: { $ref: `#/components/schemas/${schema}` }, example } } };
}

const CLIENT_ERRORS = {
  '401': oauthError('401 Unauthorized: invalid_client: unknown client, wrong secret or assertion, a method the client is not registered with, or an app still pending review', ['invalid_client'], {
    'WWW-Authenticate': { description: '`Basic realm="…"` when the client authenticated with the Authorization header (RFC 6749 §5.2).', schema: { type: 'string', maxLength: 512 } },
  }),
  '500': oauthError('500 Internal Server Error: nothing about the cause is revealed', ['server_error']),
};

/** Client authentication: `client_secret_basic`, or in the body (`client_secret_post`, `private_key_jwt`, `none` with PKCE). */
const CLIENT_AUTHENTICATION = [{ clientSecretBasic: [] }, {}];

/**
 * Builds the document for `settings`' deployment.
 *
 * @returns a fresh plain object (JSON-serialisable)
 */
export function authServerOpenApiDocument(settings: AuthOpenApiSettings): Record<string, unknown> {
  const { issuer } = settings;
  const fapi2 = settings.securityProfile === 'fapi2';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Payment open API: authorization server',
      version: '1.0.0',
      description: [
        'The OAuth 2.0 endpoints your backend calls (oidc-provider; discovery at `/.well-known/openid-configuration`, RFC 8414).',
        'Users authorise your app in the browser with the authorization code flow and PKCE S256 (`/auth`, or a pushed request first);',
        `the access tokens are RFC 9068 JWTs for the resource API (${settings.resourceApiUrl}), 300 s, described in its own document (${settings.resourceApiUrl}/openapi.json).`,
        '',
        'A client-credentials token (`grant_type=client_credentials`) acts for your client itself: it carries only `webhooks:manage` (webhook endpoints and the event log). Every other scope needs a user, through the code flow.',
        'Dynamic registration needs an initial access token from the operator; each one is single use: it registers one client.',
        fapi2 ? 'This deployment follows the FAPI 2.0 Security Profile: pushed authorization requests, `private_key_jwt` and DPoP-bound tokens are required.' : '',
      ].filter((line, index, lines) => line !== '' || lines[index - 1] !== '').join('\n'),
      contact: { name: 'API support: quote the x-fapi-interaction-id of the answer', url: `${settings.resourceApiUrl}/problems` },
    },
    servers: [{
      url: issuer,
      description: settings.environment === 'live' ? 'This deployment: live (production)' : 'This deployment: sandbox, test users and test money only',
      'x-internal': false,
    }],
    tags: [{ name: 'Tokens' }, { name: 'Registration' }, { name: 'Authorization' }],
    paths: {
      '/token': {
        post: {
          operationId: 'requestToken', tags: ['Tokens'], summary: 'Get an access token',
          description: 'RFC 6749 §3.2: exchange an authorization code (with the PKCE verifier), refresh, or ask for a client-credentials token. Send a `DPoP` proof header for a DPoP-bound token (RFC 9449).',
          security: CLIENT_AUTHENTICATION,
          parameters: [{ name: 'DPoP', in: 'header', required: fapi2, description: 'A DPoP proof JWT for this request (RFC 9449 §4).', schema: { type: 'string', maxLength: 8192 } }],
          requestBody: form('TokenRequest', { grant_type: 'client_credentials', scope: 'webhooks:manage' }),
          responses: {
            '200': json('The tokens', 'TokenResponse', { access_token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9…', token_type: 'Bearer', expires_in: 300, scope: 'webhooks:manage' },
              { 'Cache-Control': NO_STORE }),
            '400': oauthError('400 Bad Request: the grant is invalid, expired or used; a scope is unknown or not allowed for this grant or client; a malformed request', [
              'invalid_request', 'invalid_grant', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type', 'invalid_target', 'invalid_authorization_details', 'invalid_dpop_proof', 'use_dpop_nonce',
            ]),
            ...CLIENT_ERRORS,
          },
        },
      },
      '/token/introspection': {
        post: {
          operationId: 'introspectToken', tags: ['Tokens'], summary: 'Is this token active?',
          description: 'RFC 7662. Your own tokens, or every token for a client registered as a resource server; JWT access tokens included.',
          security: CLIENT_AUTHENTICATION,
          requestBody: form('IntrospectionRequest', { token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9…', token_type_hint: 'access_token' }),
          responses: {
            '200': json('The token\'s state', 'IntrospectionResponse', { active: true, client_id: 'my-app', sub: 'usr_0a1b2c3d4e5f60718293a4b5c6d7e8f9', scope: 'accounts:read', token_type: 'Bearer', exp: 1796604467 },
              { 'Cache-Control': NO_STORE }),
            '400': oauthError('400 Bad Request: no token, or a malformed request', ['invalid_request']),
            ...CLIENT_ERRORS,
          },
        },
      },
      '/token/revocation': {
        post: {
          operationId: 'revokeToken', tags: ['Tokens'], summary: 'Revoke a token and its grant',
          description: 'RFC 7009. Revoking an access or refresh token revokes the whole grant: every token of it stops working at once (the resource API answers 401).',
          security: CLIENT_AUTHENTICATION,
          requestBody: form('RevocationRequest', { token: 'refresh-token-value', token_type_hint: 'refresh_token' }),
          responses: {
            '200': { description: 'Revoked, or not a token of yours (RFC 7009 §2.2: the answer is the same)', headers: ANSWER_HEADERS },
            '400': oauthError('400 Bad Request: no token, or a malformed request', ['invalid_request', 'unsupported_token_type']),
            ...CLIENT_ERRORS,
          },
        },
      },
      '/reg': {
        post: {
          operationId: 'registerClient', tags: ['Registration'], summary: 'Register a client',
          description: 'RFC 7591. Authenticate with an initial access token from the operator (`pnpm cli clients:initial-access-token`) as a Bearer token. Each initial access token is single use: it registers one client; a registration refused for its metadata (400) leaves it usable.',
          security: [{ initialAccessToken: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ClientRegistrationRequest' }, example: { client_name: 'My App', redirect_uris: ['https://app.example/callback'] } } },
          },
          responses: {
            '201': json('The client, with its secret shown this once', 'ClientRegistrationResponse', {
              client_id: 'IwffFA6yQ2BYqw9-hmGL7Yqm4YPoLYsfYhsmYAsNKaP', client_secret: 'sk_sandbox_PJFU0zCgzrhzDAWIQjBFc0SXeNbGxjijjzpxyaXl9OC0RYN9J',
              client_id_issued_at: 1796604167, client_secret_expires_at: 0, client_name: 'My App', redirect_uris: ['https://app.example/callback'],
              grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic',
              registration_access_token: 'uKm_59_8id1-Rxv72bsOu9AQRQ0fnQYKboj2JcMUFIK', registration_client_uri: `${issuer}/reg/IwffFA6yQ2BYqw9-hmGL7Yqm4YPoLYsfYhsmYAsNKaP`,
            }, { 'Cache-Control': NO_STORE }),
            '400': oauthError('400 Bad Request: a redirect URI or other metadata is refused; the description names it and why (e.g. "redirect URI must be https (http only on localhost): http://partner.example/cb")', [
              'invalid_redirect_uri', 'invalid_client_metadata', 'invalid_request',
            ]),
            '401': oauthError('401 Unauthorized: no initial access token, or one that is unknown, expired or already used ("initial access token already used: it is single use …")', ['invalid_token'], {
              'WWW-Authenticate': { description: '`Bearer realm="…", error="invalid_token", error_description="…"` (RFC 6750 §3).', schema: { type: 'string', maxLength: 1024 } },
            }),
            '500': CLIENT_ERRORS['500'],
          },
        },
      },
      '/request': {
        post: {
          operationId: 'pushAuthorizationRequest', tags: ['Authorization'], summary: 'Push an authorization request',
          description: `RFC 9126: send the authorization request's parameters from your server (\`authorization_details\` never pass through the browser), then open \`${issuer}/auth?client_id=…&request_uri=…\` in the user's browser.${fapi2 ? ' Required in this deployment (FAPI 2.0).' : ''}`,
          security: CLIENT_AUTHENTICATION,
          parameters: [{ name: 'DPoP', in: 'header', required: false, description: 'A DPoP proof: binds the authorization code to its key (RFC 9449 §10).', schema: { type: 'string', maxLength: 8192 } }],
          requestBody: form('PushedAuthorizationRequest', {
            response_type: 'code', redirect_uri: 'https://app.example/callback', scope: 'openid accounts:read',
            code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'af0ifjsldkj',
          }),
          responses: {
            '201': json('The request URI, valid 600 s, once', 'PushedAuthorizationResponse', { request_uri: 'urn:ietf:params:oauth:request_uri:bwc4JK-ESC0w8acc191e-Y1LTC2', expires_in: 600 },
              { 'Cache-Control': NO_STORE }),
            '400': oauthError('400 Bad Request: a parameter is missing or refused; the description names it', [
              'invalid_request', 'invalid_scope', 'invalid_redirect_uri', 'invalid_authorization_details', 'invalid_target', 'unsupported_response_type', 'invalid_dpop_proof',
            ]),
            ...CLIENT_ERRORS,
          },
        },
      },
    },
    components: {
      schemas: AUTH_SCHEMAS,
      headers: {
        InteractionId: { description: 'FAPI interaction id: the request\'s `x-fapi-interaction-id`, or a new UUID.', schema: { type: 'string', maxLength: 255 } },
        'Access-Control-Allow-Origin': {
          description: 'On the token, introspection and revocation endpoints: the calling origin, for a public client (no authentication) one of whose redirect URIs has that origin (oidc-provider\'s client-based CORS). Never for confidential clients: their secrets do not belong in a browser.',
          schema: { type: 'string', format: 'uri', maxLength: 2048 },
        },
      },
      securitySchemes: {
        clientSecretBasic: {
          type: 'http', scheme: 'basic',
          description: '`client_secret_basic` (RFC 6749 §2.3.1): your client id and secret, each form-urlencoded, as Basic credentials. The alternatives go in the body: `client_secret_post`, `private_key_jwt` (RFC 7523) or, for a public client with PKCE, `client_id` alone.',
        },
        initialAccessToken: {
          type: 'http', scheme: 'bearer',
          description: 'An initial access token (RFC 7591 §3) from the operator: `pnpm cli clients:initial-access-token`. Single use: it registers one client, then says "already used".',
        },
      },
    },
  };
}
