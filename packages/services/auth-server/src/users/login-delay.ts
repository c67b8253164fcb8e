/**
 * How sign-ins of one username are slowed down, never refused, while it collects failures from
 * anywhere (see `createLoginThrottle`): no delay for the first `failuresBeforeDelay` failures in a
 * window, then `delayFirstMs` doubling with each further failure up to `delayMaxMs`.
 */
export interface LoginSlowdown {
  /** Window in which failures are counted, seconds from the first; a positive integer. */
  windowSeconds: number;
  /** Failures in a window that cost nothing; a positive integer. */
  failuresBeforeDelay: number;
  /** Delay after failure number `failuresBeforeDelay`, ms; a positive integer. */
  delayFirstMs: number;
  /** Longest delay, ms; a positive integer, at least `delayFirstMs`. */
  delayMaxMs: number;
}

/** Doublings past which the delay is surely at its cap (2^30 ms is 12 days), so the power stays finite. */
const DOUBLINGS_MAX = 30;

/**
 * The delay before a sign-in attempt of a username that has `failures` failed (or unfinished)
 * attempts in the current window: 0 up to `failuresBeforeDelay - 1`, then
 * `min(delayFirstMs * 2^(failures - failuresBeforeDelay), delayMaxMs)`. OWASP Authentication Cheat
 * Sheet ("Login Throttling": an exponentially increasing delay instead of a lockout an attacker can
 * cause); NIST SP 800-63B §5.2.2.
 *
 * @param failures attempts counted before this one; negative or not finite counts as 0
 * @returns milliseconds, an integer from 0 to `delayMaxMs`
 */
export function loginDelayMs(failures: number, slowdown: LoginSlowdown): number {
  const excess = Number.isFinite(failures) ? Math.floor(failures) - slowdown.failuresBeforeDelay : -1;
  if (excess < 0) return 0;
  return Math.min(slowdown.delayMaxMs, slowdown.delayFirstMs * 2 ** Math.min(excess, DOUBLINGS_MAX));
}
