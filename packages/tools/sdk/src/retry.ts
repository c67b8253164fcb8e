/**
 * When the SDK tries a call again, and how long it waits first. A call is retried only when trying
 * again cannot do the thing twice:
 * - 429 `rate_limited` (every call: the API refused it before doing anything), after `Retry-After`;
 * - 503 (the ledger busy, the key server unreachable…) and a failed connection or timeout, for a
 *   call that is safe to repeat: GET, HEAD, PUT, DELETE, or a call carrying an `Idempotency-Key`
 *   (the API replays the first answer to a repeat, draft-ietf-httpapi-idempotency-key-header §2);
 *   after `Retry-After` when the 503 has one, else after a backoff;
 * - 409 `idempotency_key_in_flight` (the first attempt of the same call is still running), after a backoff.
 * Never any other 4xx: those answers are final.
 */

/** How a client retries (each field optional in {@link RetryOptions}). */
export interface RetryPolicy {
  /** Attempts per call, the first included (1 to 10). */
  maxAttempts: number;
  /** Backoff base, ms: before attempt n+1 a random wait in [0, min(maxDelayMs, baseDelayMs × 2^(n-1))] ("full jitter"). */
  baseDelayMs: number;
  /** Upper bound of one backoff wait, ms. */
  maxDelayMs: number;
  /** The longest `Retry-After` waited for, ms: a longer one ends the retries (the problem carries `retryAfterSeconds`). */
  maxRetryAfterMs: number;
}

/** Partial {@link RetryPolicy}; defaults: 4 attempts, 250 ms base, 5 s cap, `Retry-After` up to 30 s. */
export type RetryOptions = Partial<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };

/** Why an attempt is retried. */
export type RetryReason = 'network_error' | 'idempotency_key_in_flight' | 'rate_limited' | 'service_unavailable';

/** Told to `onRetry` before each wait. */
export interface RetryNotice {
  /** The method and URL of the call. */
  method: string;
  url: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  reason: RetryReason;
  /** The HTTP status of the failed attempt (none for a network error). */
  status: number | undefined;
  /** How long the SDK waits before the next attempt, ms. */
  delayMs: number;
  /** The call's `Idempotency-Key`, the same on every attempt, when it has one. */
  idempotencyKey: string | undefined;
}

/**
 * The policy with defaults filled in.
 * @throws {RangeError} for a value out of range (attempts 1..10, delays ≥ 0)
 */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 10) {
    throw new RangeError('retry.maxAttempts must be an integer from 1 to 10');
  }
  for (const name of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!Number.isFinite(policy[name]) || policy[name] < 0) throw new RangeError(`retry.${name} must be a number of milliseconds, 0 or more`);
  }
  return policy;
}

/** The backoff before the attempt after `attempt` (from 1), ms: full jitter under an exponential cap. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` in ms (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date), or undefined when absent
 * or unreadable. A date in the past is 0.
 */
export function retryAfterMs(headers: Headers, nowMs: number = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  // An HTTP-date is in GMT (RFC 9110 §5.6.7); anything else (a negative number…) is not one.
  if (!/^[A-Za-z]{3},? .* GMT$/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** GET, HEAD, PUT, DELETE and OPTIONS may be repeated (RFC 9110 §9.2.2); others only with an Idempotency-Key. */
export function isRepeatable(method: string, idempotencyKey: string | undefined): boolean {
  return idempotencyKey !== undefined || ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}
