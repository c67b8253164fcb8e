import { AUTH_ERRORS, COMMON_ERRORS, ok, problem, security } from './responses.ts';
import { paymentPaths } from './payment-paths.ts';
import { PAYMENT_SCHEMAS } from './payment-schemas.ts';
import { SCHEMAS } from './schemas.ts';
import { WEBHOOK_SCHEMAS } from './webhook-schemas.ts';
import { webhookPaths } from './webhook-paths.ts';

/** Where the document's URLs point: this API and its authorization server. */
export interface OpenApiUrls {
  publicUrl: string;
  issuer: string;
}

const ACCOUNT_EXAMPLE = { id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8', name: 'Alice Current', currency: 'CNY', type: 'current', created_at: '2026-11-29T21:23:37.123456Z' };
const TRANSFER_EXAMPLE = {
  id: 'tr_0c1d2e3f405162738495a6b7c8d9e0f1', source_account_id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8',
  destination_account_id: 'acc_9a8b7c6d5e4f30211203f4e5d6c7b8a9', amount: '12.34', currency: 'CNY', description: 'Dinner',
  status: 'completed', created_at: '2026-11-29T21:23:37.123456Z',
};

const ACCOUNT_ID_PARAMETER = {
  name: 'account_id', in: 'path', required: true, description: 'An account consented in the token; any other answers 404.',
  schema: { type: 'string', maxLength: 255 }, example: ACCOUNT_EXAMPLE.id,
};

/**
 * The OpenAPI 3.1 document of the `/v1` surface: the single source of truth for the request
 * shapes (validated by express-openapi-validator) and the response shapes (checked in tests).
 * A partner should be able to integrate from it alone: scopes, examples and every error `code`
 * are in it.
 *
 * @returns a fresh plain object (JSON-serialisable)
 */
export function openApiDocument(urls: OpenApiUrls): Record<string, unknown> {
  // A deep copy: express-openapi-validator annotates the document it is given in place, and the
  // shared parts (COMMON_ERRORS…) must stay pristine for the next app built in the same process.
  return structuredClone({
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
        'Webhooks and the event log (scope `webhooks:manage`) belong to your client, not to a user: call them with a client-credentials token (`grant_type=client_credentials`).',
        'Every answer carries `x-fapi-interaction-id` (yours, echoed, or a new one): quote it when you contact support.',
      ].join('\n'),
    },
    servers: [{ url: urls.publicUrl }],
    tags: [{ name: 'Accounts' }, { name: 'Transactions' }, { name: 'Transfers' }, { name: 'Payments' }, { name: 'Webhooks' }, { name: 'Events' }],
    paths: {
      '/v1/accounts': {
        get: {
          operationId: 'listAccounts', tags: ['Accounts'], summary: 'List the consented accounts',
          description: 'Scope `accounts:read`. Only the accounts the user consented to for this grant.',
          security: security('accounts:read'),
          responses: {
            '200': ok('The consented accounts', 'AccountList', { data: [ACCOUNT_EXAMPLE] }),
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
            { name: 'limit', in: 'query', description: 'Rows per page, 1 to 100 (default 20).', schema: { type: 'integer', minimum: 1, maximum: 100 } },
            { name: 'cursor', in: 'query', description: '`next_cursor` of the page before.', schema: { type: 'string', minLength: 1, maxLength: 512 } },
            { name: 'from', in: 'query', description: 'RFC 3339 with offset; rows booked at or after it. Encode `+` as `%2B`.', allowReserved: true, schema: { type: 'string', format: 'date-time' }, example: '2026-11-01T00:00:00+08:00' },
            { name: 'to', in: 'query', description: 'RFC 3339 with offset; rows booked before it. Encode `+` as `%2B`.', allowReserved: true, schema: { type: 'string', format: 'date-time' }, example: '2026-12-01T00:00:00+08:00' },
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
          parameters: [{
            name: 'Idempotency-Key', in: 'header', required: true,
            description: '1 to 255 visible ASCII characters; a UUID is a good choice.',
            schema: { type: 'string', pattern: '^[!-~]{1,255}$' }, example: '5f0c7a52-8c1b-4a4e-9d55-0f1d5a3f6b21',
          }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/TransferRequest' }, example: {
              source_account_id: TRANSFER_EXAMPLE.source_account_id, destination_account_id: TRANSFER_EXAMPLE.destination_account_id,
              amount: '12.34', currency: 'CNY', description: 'Dinner' } } },
          },
          responses: {
            '201': ok('The transfer, completed', 'Transfer', TRANSFER_EXAMPLE, {
              Location: { description: 'The transfer\'s URL.', schema: { type: 'string' } },
              'Idempotent-Replayed': { description: '`true` when this is the stored answer of an earlier request with the same key.', schema: { type: 'string', enum: ['true'] } },
            }),
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
        InteractionId: { description: 'FAPI interaction id: the request\'s `x-fapi-interaction-id`, or a new UUID.', schema: { type: 'string' } },
      },
      responses: {
        Unauthorized: problem('401 Unauthorized: no token, or an invalid, expired or revoked one, or a bad DPoP proof', ['invalid_token', 'invalid_dpop_proof'], {
          'WWW-Authenticate': { description: 'e.g. `Bearer error="invalid_token", error_description="…"` (RFC 6750 §3), or `DPoP error="invalid_dpop_proof"` (RFC 9449 §7.1).', schema: { type: 'string' } },
        }),
        Forbidden: problem('403 Forbidden: the token lacks the scope', ['insufficient_scope'], {
          'WWW-Authenticate': { description: '`Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1).', schema: { type: 'string' } },
        }),
      },
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: 'RFC 9068 JWT access tokens (ES256, 5 minutes, `aud` = this API) from the authorization code flow with PKCE S256.',
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
          description: 'RFC 9068 JWT access tokens of your client itself (no user), from the client credentials grant (RFC 6749 §4.4) with your client secret.',
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
          description: 'The same access token, pasted: in /docs press Authorize and paste a token your client obtained (the docs page does not run the OAuth redirect itself).',
        },
        dpop: {
          type: 'http',
          scheme: 'DPoP',
          description: 'A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` plus a `DPoP` proof JWT (htm, htu, iat, jti, ath) signed by the bound key.',
        },
      },
    },
  });
}
