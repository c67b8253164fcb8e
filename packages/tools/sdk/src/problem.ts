/**
 * The errors the SDK throws: {@link PayApiProblem} when the API answered with an error (RFC 9457
 * problem details), {@link PayApiConnectionError} when no answer came after the retries.
 */
import { retryAfterMs } from './retry.ts';

/**
 * The API refused the call: an RFC 9457 problem document (`application/problem+json`). Match on
 * `code` (stable, snake_case: `insufficient_funds`, `idempotency_key_reused`, `invalid_token`…),
 * not on `detail` (for people, may change). Thrown after the retries when the last attempt still
 * failed (a 429 or 503), at once for any other 4xx or 5xx.
 */
export class PayApiProblem extends Error {
  /** The HTTP status (400…599). */
  readonly status: number;
  /** The stable error code; `http_<status>` when the answer was not a problem document (a proxy's page). */
  readonly code: string;
  /** What went wrong, in words. */
  readonly detail: string;
  /** The problem type URI (RFC 9457 §3.1.1). */
  readonly type: string;
  /** The status's title (RFC 9457 §3.1.3). */
  readonly title: string;
  /** The answer's `x-fapi-interaction-id`: quote it to the bank's support. */
  readonly interactionId: string | undefined;
  /** Seconds the API asked to wait (`Retry-After` of a 429 or 503), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** The whole problem document as received (extension members included). */
  readonly problem: Readonly<Record<string, unknown>>;

  /**
   * @param status the answer's HTTP status
   * @param problem the parsed problem document (`{ type, title, status, detail, code }`; missing members get defaults)
   * @param headers the answer's headers (`x-fapi-interaction-id`, `Retry-After`)
   */
  constructor(status: number, problem: Readonly<Record<string, unknown>>, headers: Headers) {
    const text = (name: string, fallback: string): string => (typeof problem[name] === 'string' ? problem[name] as string : fallback);
    const code = text('code', `http_${status}`);
    const detail = text('detail', '');
    super(detail ? `${status} ${code}: ${detail}` : `${status} ${code}`);
    this.name = 'PayApiProblem';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.type = text('type', 'about:blank');
    this.title = text('title', '');
    this.interactionId = headers.get('x-fapi-interaction-id') ?? undefined;
    const retryAfter = retryAfterMs(headers);
    this.retryAfterSeconds = retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000);
    this.problem = problem;
  }
}

/** No answer from the API (connection refused or reset, timeout) on any of `attempts` attempts; `cause` is the last error. */
export class PayApiConnectionError extends Error {
  readonly attempts: number;

  constructor(attempts: number, cause: unknown) {
    super(`no answer from the API after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PayApiConnectionError';
    this.attempts = attempts;
  }
}
