/** Each wait of the schedule is moved by up to this share either way, at random (docs/webhooks.md, "Retries"). */
export const RETRY_JITTER = 0.2;

/** Statuses whose `Retry-After` is honoured: "slow down" and "unavailable for now" (RFC 9110 §10.2.3, RFC 6585 §4). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * The wait before the next attempt after attempt `failedAttempt` failed, or `null` when none is
 * left: `scheduleMs[failedAttempt - 1]` moved by up to ±20 %. A `Retry-After` the endpoint sent
 * with 429, 502, 503 or 504 is honoured but clamped to [scheduled, 2 × scheduled], so an endpoint
 * can slow its retries down, never speed them up or postpone them without bound.
 *
 * @param failedAttempt 1 for the first attempt
 * @param retryAfterMs what the response's `Retry-After` asked for (see {@link parseRetryAfter}), ms
 * @param random a number in [0, 1) (`Math.random`)
 * @returns milliseconds, or `null` after the last attempt
 */
export function retryDelayMs(
  scheduleMs: readonly number[],
  failedAttempt: number,
  response: { status?: number; retryAfterMs?: number },
  random: () => number,
): number | null {
  const base = scheduleMs[failedAttempt - 1];
  if (base === undefined) return null;
  const scheduled = Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
  const { status, retryAfterMs } = response;
  if (status === undefined || retryAfterMs === undefined || !RETRY_AFTER_STATUSES.has(status)) return scheduled;
  return Math.min(Math.max(retryAfterMs, scheduled), 2 * scheduled);
}

/**
 * Reads a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`).
 *
 * @param nowMs the time the response arrived, ms since the epoch
 * @returns milliseconds from `nowMs` (0 for a date in the past), or undefined when absent or unreadable
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]{1,10}$/.test(trimmed)) return Number(trimmed) * 1_000;
  // An HTTP-date starts with the day's name (IMF-fixdate and the obsolete forms of RFC 9110 §5.6.7,
  // all of which Date.parse reads); anything else (a negative or fractional number) is unreadable.
  if (!/^[A-Za-z]{3}/.test(trimmed) || trimmed.length > 64) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
