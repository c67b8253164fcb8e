import type { RawResponse } from '../support/http.ts';
import { jsonOf } from '../support/http.ts';

/**
 * Statuses Node's own HTTP parser answers with, before the application sees the request (headers
 * over 16 KiB: 431, or a reset connection when the client is still sending them; a request it
 * cannot parse: 400). Those answers carry no problem document and no interaction id, since no
 * application code runs; they are counted apart, not hidden.
 */
export const PARSER_STATUSES: ReadonlySet<number> = new Set([400, 431]);

/** Node's `--max-http-header-size` default: the request line and headers together, 16 KiB. */
export const HEADER_SECTION_LIMIT_BYTES = 16 * 1024;

/** About how many bytes the request line and headers take on the wire. */
export function headerSectionBytes(method: string, path: string, headers: Readonly<Record<string, string | string[] | number | undefined>>): number {
  let bytes = method.length + path.length + 12;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of [value ?? ''].flat()) bytes += name.length + Buffer.byteLength(String(item), 'latin1') + 4;
  }
  return bytes;
}

/** Whether the answer came from the application (every answer it gives carries an interaction id). */
export function fromApplication(response: RawResponse): boolean {
  return response.headers['x-fapi-interaction-id'] !== undefined;
}

/**
 * What is wrong with an answer of the resource API (empty when nothing): any 5xx; an error answer
 * that is not `application/problem+json` with a snake_case `code` and the same `status`; a 401
 * without its `WWW-Authenticate` challenge; a 2xx on /v1 that is not JSON.
 */
export function answerViolations(method: string, path: string, response: RawResponse): string[] {
  const violations: string[] = [];
  if (response.status >= 500) violations.push(`answered ${response.status}`);
  if (!fromApplication(response)) {
    if (!PARSER_STATUSES.has(response.status)) violations.push(`answered ${response.status} without an interaction id, and not as Node's HTTP parser would`);
    return violations;
  }
  const hasBody = method !== 'HEAD';
  if (response.status >= 400 && hasBody) {
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/problem+json')) violations.push(`error answer with content type "${contentType}"`);
    const problem = jsonOf(response) as { code?: unknown; status?: unknown } | undefined;
    if (typeof problem?.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(problem.code)) violations.push('problem document without a snake_case code');
    if (problem?.status !== response.status) violations.push(`problem status ${String(problem?.status)} differs from the answer's ${response.status}`);
  }
  if (response.status === 401) {
    const challenge = [response.headers['www-authenticate'] ?? []].flat().join(', ');
    if (!/^(Bearer|DPoP) error="(invalid_token|invalid_dpop_proof)"/.test(challenge)) violations.push(`401 with WWW-Authenticate "${challenge}"`);
  }
  if (response.status >= 200 && response.status < 300 && hasBody && /^\/v1\//i.test(path) && jsonOf(response) === undefined) {
    violations.push('2xx on /v1 whose body is not JSON');
  }
  return violations;
}
