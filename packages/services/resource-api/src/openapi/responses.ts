/** Building blocks of the OpenAPI document's operations: answers, problem answers, security requirements. */
import type { ProblemCode } from '../errors/problem-codes.ts';

/**
 * Stands for the problem type base (`problemTypeBase(publicUrl)`, the API's own `/problems/` pages)
 * in the parts of the document built before the URL is known; `openApiDocument` replaces it.
 */
export const PROBLEM_TYPE_BASE_PLACEHOLDER = 'urn:payapi:problem-type-base:';

/**
 * The headers every answer may carry: the FAPI interaction id, CORS for a configured origin, and
 * the rate-limit fields (draft-ietf-httpapi-ratelimit-headers), which every `/v1` answer carries.
 */
export const ANSWER_HEADERS = {
  'x-fapi-interaction-id': { $ref: '#/components/headers/InteractionId' },
  'Access-Control-Allow-Origin': { $ref: '#/components/headers/Access-Control-Allow-Origin' },
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
  RateLimit: { $ref: '#/components/headers/RateLimit' },
};

/** `components.headers` of the rate-limit fields (docs/resource-api.md, "Rate limits"). */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': {
    description: 'The quota policy this request was counted under (draft-ietf-httpapi-ratelimit-headers §3): `"per-client"` (requests with a valid access token, counted per `client_id` across every instance of the API) or `"per-address"` (requests without one, counted per client address); `q` requests per window of `w` seconds. E.g. `"per-client";q=600;w=60` (the sandbox\'s default).',
    required: true,
    schema: { type: 'string', pattern: '^"(per-client|per-address)";q=[0-9]{1,9};w=[0-9]{1,5}$', maxLength: 64 },
  },
  RateLimit: {
    description: 'What is left of that quota (draft-ietf-httpapi-ratelimit-headers §4): `r` requests remain until the window ends in `t` seconds, e.g. `"per-client";r=599;t=42`. At `r=0` the next request gets 429 `rate_limited` with `Retry-After` (= `t`).',
    required: true,
    schema: { type: 'string', pattern: '^"(per-client|per-address)";r=[0-9]{1,9};t=[0-9]{1,5}$', maxLength: 64 },
  },
};

/**
 * A problem response whose `code` is one of `codes` (an enum per route and status, so a client
 * knows exactly what it may get there); its examples show each code. `description` starts with the
 * status and its title: `404 Not Found: …`.
 */
export function problem(description: string, codes: readonly ProblemCode[], headers: Record<string, unknown> = {}): Record<string, unknown> {
  const [, status = '500', title = 'Error'] = /^(\d{3}) ([^:]+)/.exec(description) ?? [];
  const examples = Object.fromEntries(codes.map((code) => [code, {
    value: { type: `${PROBLEM_TYPE_BASE_PLACEHOLDER}${code}`, title, status: Number(status), detail: description.replace(/^[^:]+: /, ''), code },
  }]));
  return {
    description,
    headers: { ...ANSWER_HEADERS, ...headers },
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Problem' },
            { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
          ],
        },
        examples,
      },
    },
  };
}

/** A JSON answer of `schema` (a name in `components.schemas`) with its example. */
export function ok(description: string, schema: string, example: unknown, headers: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    description,
    headers: { ...ANSWER_HEADERS, ...headers },
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example } },
  };
}

/** `Retry-After` of a 429 or 503 answer (RFC 9110 §10.2.3), in seconds. */
const RETRY_AFTER = { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^[0-9]{1,5}$', maxLength: 5 } };

export const AUTH_ERRORS = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
};
export const COMMON_ERRORS = {
  '429': problem('429 Too Many Requests: retry after `Retry-After` seconds (your client\'s requests past its quota, see `RateLimit`; or one client\'s DPoP proofs past their share)', ['rate_limited'], {
    'Retry-After': RETRY_AFTER,
  }),
  '500': problem('500 Internal Server Error: nothing about the cause is revealed', ['internal_error']),
  '503': problem('503 Service Unavailable: retry after `Retry-After` seconds', ['ledger_busy', 'database_unavailable', 'authorization_server_unavailable', 'temporarily_unavailable'], {
    'Retry-After': RETRY_AFTER,
  }),
};

/** The `limit` query parameter of every list: 1 to 100 (default 20). */
export const LIMIT_PARAMETER = {
  name: 'limit', in: 'query', description: 'Items per page, 1 to 100 (default 20).', schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 100 },
};

/** The `Idempotency-Key` header of money-moving calls (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key', in: 'header', required: true,
  description: '1 to 255 visible ASCII characters; a new UUID for each new transfer or payment, the same one to retry it.',
  schema: { type: 'string', pattern: '^[!-~]{1,255}$', maxLength: 255 },
};

/** The security requirement of an operation needing `scope` (user tokens from the code flow). */
export function security(scope: string): Array<Record<string, string[]>> {
  // OpenAPI 3.1 lets an http scheme list the scopes it needs too (the `bearer` entry is what the
  // interactive docs use: paste an access token obtained by your client).
  return [{ oauth2: [scope] }, { dpop: [scope] }, { bearer: [scope] }];
}

/**
 * The security requirement of an operation on the client's own resources: a client-credentials
 * token (RFC 6749 §4.4) with `scope`, as Bearer or DPoP-bound.
 */
export function clientSecurity(scope: string): Array<Record<string, string[]>> {
  return [{ oauth2ClientCredentials: [scope] }, { dpop: [scope] }, { bearer: [scope] }];
}
