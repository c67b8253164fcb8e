import { readInteger } from '@payapi/platform';
import type { PayapiEnvironment } from '@payapi/platform';

/** How many `/v1` requests are served per minute (docs/resource-api.md, "Rate limits"). */
export interface RateLimitSettings {
  /** `RATE_LIMIT_PER_MINUTE`: requests per client (the access token's `client_id`) per 60 s window. */
  perClientPerMinute: number;
  /**
   * `RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`: requests per client address per 60 s window, for
   * `/v1` requests that carry no valid access token (401s, unknown paths).
   */
  perAddressPerMinute: number;
}

/**
 * Defaults per `PAYAPI_ENVIRONMENT`: the sandbox (test money, anyone may sign up on the portal) is
 * held lower than live. 600 a minute is 10 requests per second per client, far above what a
 * partner's integration needs while developing, and what this repository's tests send with one client.
 */
export const RATE_LIMIT_DEFAULTS: Readonly<Record<PayapiEnvironment, RateLimitSettings>> = {
  sandbox: { perClientPerMinute: 600, perAddressPerMinute: 300 },
  live: { perClientPerMinute: 3_000, perAddressPerMinute: 600 },
};

/** The largest limit accepted (the benchmark sets it to measure the limiter without being refused). */
export const RATE_LIMIT_PER_MINUTE_MAX = 100_000_000;

/** The window of every limit, seconds (`w` of `RateLimit-Policy`). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/**
 * Reads `RATE_LIMIT_PER_MINUTE` and `RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`, each an integer from 1
 * to 100,000,000; unset or empty is the environment's default ({@link RATE_LIMIT_DEFAULTS}).
 *
 * @throws {ConfigError} naming the variable
 */
export function readRateLimitSettings(env: Readonly<Record<string, string | undefined>>, environment: PayapiEnvironment): RateLimitSettings {
  const defaults = RATE_LIMIT_DEFAULTS[environment];
  return {
    perClientPerMinute: readInteger('RATE_LIMIT_PER_MINUTE', env.RATE_LIMIT_PER_MINUTE, defaults.perClientPerMinute, 1, RATE_LIMIT_PER_MINUTE_MAX),
    perAddressPerMinute: readInteger('RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE', env.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE,
      defaults.perAddressPerMinute, 1, RATE_LIMIT_PER_MINUTE_MAX),
  };
}
