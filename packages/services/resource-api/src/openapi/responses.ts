/** Building blocks of the OpenAPI document's operations: answers, problem answers, security requirements. */
import { PROBLEM_TYPE_BASE } from '../errors/problem.ts';

/**
 * A problem response; its examples show the stable `code`s an endpoint may answer with this status.
 * `description` starts with the status and its title: `404 Not Found: …`.
 */
export function problem(description: string, codes: string[], headers: Record<string, unknown> = {}): Record<string, unknown> {
  const [, status = '500', title = 'Error'] = /^(\d{3}) ([^:]+)/.exec(description) ?? [];
  const examples = Object.fromEntries(codes.map((code) => [code, {
    value: { type: `${PROBLEM_TYPE_BASE}${code}`, title, status: Number(status), detail: description.replace(/^[^:]+: /, ''), code },
  }]));
  return {
    description,
    headers: { 'x-fapi-interaction-id': { $ref: '#/components/headers/InteractionId' }, ...headers },
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, examples } },
  };
}

/** A JSON answer of `schema` (a name in `components.schemas`) with its example. */
export function ok(description: string, schema: string, example: unknown, headers: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    description,
    headers: { 'x-fapi-interaction-id': { $ref: '#/components/headers/InteractionId' }, ...headers },
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example } },
  };
}

export const AUTH_ERRORS = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
};
export const COMMON_ERRORS = {
  '429': problem('429 Too Many Requests: retry after `Retry-After` seconds (e.g. one client\'s DPoP proofs past their share)', ['rate_limited'], {
    'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
  }),
  '500': problem('500 Internal Server Error: nothing about the cause is revealed', ['internal_error']),
  '503': problem('503 Service Unavailable: retry after `Retry-After` seconds', ['ledger_busy', 'database_unavailable', 'authorization_server_unavailable', 'temporarily_unavailable']),
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
