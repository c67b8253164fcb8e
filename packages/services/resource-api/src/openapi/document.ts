import type { PayapiEnvironment } from '@payapi/platform';
import { problemTypeBase } from '../errors/problem.ts';
import {
  AUTH_ERRORS, COMMON_ERRORS, IDEMPOTENCY_KEY_PARAMETER, LIMIT_PARAMETER, PROBLEM_TYPE_BASE_PLACEHOLDER, RATE_LIMIT_HEADERS, ok, problem, security,
} from './responses.ts';
import { paymentPaths } from './payment-paths.ts';
import { PAYMENT_SCHEMAS } from './payment-schemas.ts';
import { SCHEMAS } from './schemas.ts';
import { WEBHOOK_SCHEMAS } from './webhook-schemas.ts';
import { webhookPaths } from './webhook-paths.ts';

/** Where the document's URLs point: this API and its authorization server; and which deployment it describes. */
export interface OpenApiUrls {
  publicUrl: string;
  issuer: string;
  /** `PAYAPI_ENVIRONMENT` of the deployment (default `sandbox`), named in the server's description. */
  environment?: PayapiEnvironment;
}


const ACCOUNT_EXAMPLE = { id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8', name: 'Alice Current', currency: 'CNY', type: 'current', created_at: '2026-11-29T21:23:37.123456Z' };
const TRANSFER_EXAMPLE = {
  id: 'tr_0c1d2e3f405162738495a6b7c8d9e0f1', source_account_id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8',
  destination_account_id: 'acc_9a8b7c6d5e4f30211203f4e5d6c7b8a9', amount: '12.34', currency: 'CNY', description: 'Dinner',
  status: 'completed', created_at: '2026-11-29T21:23:37.123456Z',
};

const ACCOUNT_ID_PARAMETER = {
  name: 'account_id', in: 'path', required: true, description: 'An account consented in the token (from `GET /v1/accounts`); any other answers 404.',
  schema: { type: 'string', maxLength: 255 }, example: ACCOUNT_EXAMPLE.id,
};

/**
 * The OpenAPI 3.1 document of the `/v1` surface: the single source of truth for the request
 * shapes (validated by express-openapi-validator) and the response shapes (checked in tests).
 * A partner should be able to integrate from it alone: scopes, examples and, per route and
 * status, the enum of error `code`s it may answer (each code's page is its problem `type`).
 *
 * @returns a fresh plain object (JSON-serialisable)
 */
export function openApiDocument(urls: OpenApiUrls): Record<string, unknown> {
  const environment = urls.environment ?? 'sandbox';
  // A deep copy through JSON: express-openapi-validator annotates the document it is given in
  // place, and the shared parts (COMMON_ERRORS…) must stay pristine for the next app built in the
  // same process. On the way, problem types get this API's URL (see PROBLEM_TYPE_BASE_PLACEHOLDER).
  return JSON.parse(JSON.stringify({
    openapi: '3.1.0',
    info: {
      title: 'Payment open API: resource API',
      version: '1.0.0',
      description: [
        'Accounts, balances, history and transfers of the accounts a user consented to share with your app.',
        '',
        `Get an access token from the authorization server at ${urls.issuer} (authorization code flow with PKCE S256; discovery at ${urls.issuer}/.well-known/openid-configuration).`,
        'Send it as `Authorization: Bearer <token>`, or, for a DPoP-bound token (RFC 9449), as `Authorization: DPoP <token>` with a `DPoP` proof header for each request.',
        'Tokens in the query string are never read.',
        '',
        'Payments (scope `payments:write`): ask for `authorization_details` of type `payment_initiation` or `payment_mandate` (RFC 9396, directly or through PAR); the user authorises the payment or mandate itself, and your token can pay exactly that.',
        '',
        'Money is a decimal string in major units with exactly the currency\'s minor digits, never a JSON number.',
        'Errors are RFC 9457 `application/problem+json` documents with a stable `code`.',
        '',
        'Webhooks and the event log (scope `webhooks:manage`) belong to your client, not to a user: call them with a client-credentials token (`grant_type=client_credentials`, `scope=webhooks:manage`, the only scope that grant gives). Every other route needs a user\'s token from the authorization code flow.',
        'Every answer carries `x-fapi-interaction-id` (yours, echoed, or a new one): quote it when you contact support.',
        'Requests are rate limited per client (draft-ietf-httpapi-ratelimit-headers): every answer carries `RateLimit-Policy` (the quota per window) and `RateLimit` (what remains, and when the window ends); past the quota, 429 `rate_limited` with `Retry-After`.',
        '',
        `The authorization server's endpoints (token, introspection, revocation, registration, pushed authorization requests) are described in its own OpenAPI document: ${urls.issuer}/openapi.json (in /docs: "Select a definition"). This API's protected resource metadata (RFC 9728): ${urls.publicUrl}/.well-known/oauth-protected-resource. Every error code: ${urls.publicUrl}/problems.`,
      ].join('\n'),
      contact: { name: 'API support: quote the x-fapi-interaction-id of the answer', url: `${urls.publicUrl}/problems` },
    },
    servers: [{
      url: urls.publicUrl,
      description: environment === 'live' ? 'This deployment: live (production), real money' : 'This deployment: sandbox, test money only',
      'x-internal': false,
    }],
    tags: [{ name: 'Accounts' }, { name: 'Transactions' }, { name: 'Transfers' }, { name: 'Payments' }, { name: 'Webhooks' }, { name: 'Events' }],
    paths: {
      '/v1/accounts': {
        get: {
          operationId: 'listAccounts', tags: ['Accounts'], summary: 'List the consented accounts',
          description: 'Scope `accounts:read`. Only the accounts the user consented to for this grant.',
          security: security('accounts:read'),
          responses: {
            '200': { ...ok('The consented accounts', 'AccountList', { data: [ACCOUNT_EXAMPLE] }), links: {
              GetAccount: { operationId: 'getAccount', parameters: { account_id: '$response.body#/data/0/id' }, description: 'Each `data[].id` is an `account_id` for the account routes.' },
            } },
            ...AUTH_ERRORS, ...COMMON_ERRORS,
          },
        },
      },
      '/v1/accounts/{account_id}': {
        get: {
          operationId: 'getAccount', tags: ['Accounts'], summary: 'One consented account',
          description: 'Scope `accounts:read`.',
          security: security('accounts:read'),
          parameters: [ACCOUNT_ID_PARAMETER],
          responses: {
            '200': ok('The account', 'Account', ACCOUNT_EXAMPLE),
            ...AUTH_ERRORS,
            '404': problem('404 Not Found: no such account, or not consented', ['account_not_found']),
            ...COMMON_ERRORS,
          },
        },
      },
      '/v1/accounts/{account_id}/balance': {
        get: {
          operationId: 'getBalance', tags: ['Accounts'], summary: 'The balance of a consented account',
          description: 'Scope `accounts:read`.',
          security: security('accounts:read'),
          parameters: [ACCOUNT_ID_PARAMETER],
          responses: {
            '200': ok('The balance now', 'Balance', { account_id: ACCOUNT_EXAMPLE.id, amount: '10000.00', currency: 'CNY', as_of: '2026-11-29T21:23:37.123456Z' }),
            ...AUTH_ERRORS,
            '404': problem('404 Not Found: no such account, or not consented', ['account_not_found']),
            ...COMMON_ERRORS,
          },
        },
      },
      '/v1/accounts/{account_id}/transactions': {
        get: {
          operationId: 'listTransactions', tags: ['Transactions'], summary: 'History of a consented account',
          description: 'Scope `transactions:read`. Newest first, keyset-paginated: follow `next_cursor` until it is null. Rows booked while you page cause neither gaps nor duplicates.',
          security: security('transactions:read'),
          parameters: [
            ACCOUNT_ID_PARAMETER,
            { ...LIMIT_PARAMETER, description: 'Rows per page, 1 to 100 (default 20).' },
            { name: 'cursor', in: 'query', description: '`next_cursor` of the page before.', schema: { type: 'string', minLength: 1, maxLength: 512 } },
            { name: 'from', in: 'query', description: 'RFC 3339 with offset; rows booked at or after it. Encode `+` as `%2B`.', allowReserved: true, schema: { type: 'string', format: 'date-time', maxLength: 40 }, example: '2026-11-01T00:00:00+08:00' },
            { name: 'to', in: 'query', description: 'RFC 3339 with offset; rows booked before it. Encode `+` as `%2B`.', allowReserved: true, schema: { type: 'string', format: 'date-time', maxLength: 40 }, example: '2026-12-01T00:00:00+08:00' },
          ],
          responses: {
            '200': ok('One page of history', 'TransactionPage', {
              data: [{ id: 'pst_5a6b7c8d9e0f11223344556677889900', transfer_id: TRANSFER_EXAMPLE.id, account_id: ACCOUNT_EXAMPLE.id, direction: 'debit',
                amount: '12.34', currency: 'CNY', balance_after: '9987.66', counterparty_account_id: TRANSFER_EXAMPLE.destination_account_id,
                description: 'Dinner', booked_at: '2026-11-29T21:23:37.123456Z' }],
              next_cursor: null,
            }),
            '400': problem('400 Bad Request: a malformed query parameter or cursor', ['invalid_request', 'invalid_cursor']),
            ...AUTH_ERRORS,
            '404': problem('404 Not Found: no such account, or not consented', ['account_not_found']),
            ...COMMON_ERRORS,
          },
        },
      },
      '/v1/transfers': {
        post: {
          operationId: 'createTransfer', tags: ['Transfers'], summary: 'Move money from a consented account',
          description: [
            'Scope `transfers:write`; the grant must still be active (a revoked app gets 401 at once, even with an unexpired token).',
            'The source must be a consented account; the destination may be any account in the same currency.',
            '',
            '`Idempotency-Key` is required: the same key with the same body within 24 h replays the first answer (status and body) with `Idempotent-Replayed: true`;',
            'the same key with another body is 422 `idempotency_key_reused`; a repeat while the first is still running is 409 `idempotency_key_in_flight`.',
            'Keys are scoped to your client and the user the token was issued for: two users of your app never share a key.',
          ].join('\n'),
          security: security('transfers:write'),
          parameters: [{ ...IDEMPOTENCY_KEY_PARAMETER, example: '5f0c7a52-8c1b-4a4e-9d55-0f1d5a3f6b21' }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/TransferRequest' }, example: {
              source_account_id: TRANSFER_EXAMPLE.source_account_id, destination_account_id: TRANSFER_EXAMPLE.destination_account_id,
              amount: '12.34', currency: 'CNY', description: 'Dinner' } } },
          },
          responses: {
            '201': { ...ok('The transfer, completed', 'Transfer', TRANSFER_EXAMPLE, {
              Location: { description: 'The transfer\'s URL.', schema: { type: 'string', format: 'uri-reference', maxLength: 2048 } },
              'Idempotent-Replayed': { description: '`true` when this is the stored answer of an earlier request with the same key.', schema: { type: 'string', enum: ['true'] } },
            }), links: {
              GetTransfer: { operationId: 'getTransfer', parameters: { transfer_id: '$response.body#/id' }, description: 'Read the transfer back by its `id`.' },
            } },
            '400': problem('400 Bad Request: malformed JSON, a missing or extra field, a bad amount or key', ['invalid_request', 'invalid_amount', 'unsupported_currency']),
            ...AUTH_ERRORS,
            '404': problem('404 Not Found: the source is not a consented account, or the destination does not exist', ['account_not_found']),
            '409': problem('409 Conflict: a request with this key is still running', ['idempotency_key_in_flight']),
            '413': problem('413 Content Too Large: the body is over 64 KiB', ['content_too_large']),
            '415': problem('415 Unsupported Media Type: send application/json', ['unsupported_media_type']),
            '422': problem('422 Unprocessable Content: the transfer was refused', ['insufficient_funds', 'currency_mismatch', 'same_account', 'balance_out_of_range', 'idempotency_key_reused']),
            ...COMMON_ERRORS,
          },
        },
      },
      '/v1/transfers/{transfer_id}': {
        get: {
          operationId: 'getTransfer', tags: ['Transfers'], summary: 'A transfer your app made',
          description: 'Scope `transfers:write`; the grant must still be active. Only transfers made by your client from an account consented in this token.',
          security: security('transfers:write'),
          parameters: [{ name: 'transfer_id', in: 'path', required: true, schema: { type: 'string', maxLength: 255 }, example: TRANSFER_EXAMPLE.id }],
          responses: {
            '200': ok('The transfer', 'Transfer', TRANSFER_EXAMPLE),
            ...AUTH_ERRORS,
            '404': problem('404 Not Found: no such transfer for this client', ['transfer_not_found']),
            ...COMMON_ERRORS,
          },
        },
      },
      ...paymentPaths(),
      ...webhookPaths(),
    },
    components: {
      schemas: { ...SCHEMAS, ...PAYMENT_SCHEMAS, ...WEBHOOK_SCHEMAS },
      headers: {
        InteractionId: { description: 'FAPI interaction id: the request\'s `x-fapi-interaction-id`, or a new UUID.', schema: { type: 'string', maxLength: 255 } },
        'Access-Control-Allow-Origin': {
          description: 'The calling origin, when it is one of the deployment\'s `CORS_ORIGINS` (none by default: browsers then keep the answer from scripts). Never `*`.',
          schema: { type: 'string', format: 'uri', maxLength: 2048 },
        },
        ...RATE_LIMIT_HEADERS,
      },
      responses: {
        Unauthorized: problem('401 Unauthorized: no token, or an invalid, expired or revoked one, or a bad DPoP proof', ['invalid_token', 'invalid_dpop_proof'], {
          'WWW-Authenticate': {
            description: `e.g. \`Bearer error="invalid_token", error_description="…", resource_metadata="${urls.publicUrl}/.well-known/oauth-protected-resource"\` (RFC 6750 §3, RFC 9728 §5.1), or \`DPoP error="invalid_dpop_proof", …\` (RFC 9449 §7.1).`,
            schema: { type: 'string', maxLength: 2048 },
          },
        }),
        Forbidden: problem('403 Forbidden: the token lacks the scope', ['insufficient_scope'], {
          'WWW-Authenticate': { description: '`Bearer error="insufficient_scope", scope="…", resource_metadata="…"` (RFC 6750 §3.1, RFC 9728 §5.1).', schema: { type: 'string', maxLength: 2048 } },
        }),
      },
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: 'RFC 9068 JWT access tokens (ES256, 5 minutes, `aud` = this API) from the authorization code flow with PKCE S256; refresh tokens (scope `offline_access`) rotate on every use. Tokens are issued and checked following RFC8725 (JWT best current practices): pinned algorithms (ES256, PS256; never `none` or HMAC), explicit `typ` `at+jwt`, exact `iss` and `aud`.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${urls.issuer}/auth`,
              tokenUrl: `${urls.issuer}/token`,
              refreshUrl: `${urls.issuer}/token`,
              scopes: {
                'accounts:read': 'list the consented accounts, their details and balances',
                'transactions:read': 'transaction history of the consented accounts',
                'transfers:write': 'create transfers from the consented accounts, and read them back',
                'payments:write': 'execute the payments the user authorised in a payment consent (authorization_details, RFC 9396)',
              },
            },
          },
        },
        oauth2ClientCredentials: {
          type: 'oauth2',
          description: 'RFC 9068 JWT access tokens of your client itself (no user), from the client credentials grant (RFC 6749 §4.4) with your client secret, scope `webhooks:manage` only; 5 minutes, no refresh token: ask again. Issued and checked following RFC8725, as the code flow\'s.',
          flows: {
            clientCredentials: {
              tokenUrl: `${urls.issuer}/token`,
              scopes: { 'webhooks:manage': 'your client\'s webhook endpoints and its event log' },
            },
          },
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The same access token, pasted: in /docs press Authorize and paste a token your client obtained (the docs page does not run the OAuth redirect itself). RFC 9068 JWTs checked following RFC8725.',
        },
        dpop: {
          type: 'http',
          scheme: 'DPoP',
          description: 'A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` plus a `DPoP` proof JWT (htm, htu, iat, jti, ath) signed by the bound key.',
        },
      },
    },
  }).replaceAll(PROBLEM_TYPE_BASE_PLACEHOLDER, problemTypeBase(urls.publicUrl))) as Record<string, unknown>;
}

/**
 * Every scope the document's operations can ask for: the scopes of its OAuth 2.0 flows, in order
 * (the RFC 9728 metadata's `scopes_supported`).
 */
export function documentedScopes(document: Record<string, unknown>): string[] {
  const schemes = (document.components as { securitySchemes?: Record<string, { flows?: Record<string, { scopes?: Record<string, string> }> }> } | undefined)?.securitySchemes ?? {};
  const scopes = Object.values(schemes).flatMap((scheme) => Object.values(scheme.flows ?? {}).flatMap((flow) => Object.keys(flow.scopes ?? {})));
  return [...new Set(scopes)];
}
