import type { Request, RequestHandler, Response } from 'express';
import { clientNetwork } from '@payapi/platform';
import type { Redis } from '@payapi/platform';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiProblem } from '../errors/problem.ts';
import { RATE_LIMIT_WINDOW_SECONDS } from './settings.ts';
import type { RateLimitSettings } from './settings.ts';

/** The two quota policies (draft-ietf-httpapi-ratelimit-headers §3.1: the policy's name). */
export type RateLimitPolicyName = 'per-client' | 'per-address';

/** Where the counters live: Redis, shared by every instance (`REDIS_URL`), or this process's memory. */
export type RateLimitStore = 'redis' | 'memory';

/** Shared counters: the client of `openRedis` and `REDIS_KEY_PREFIX`. */
export interface SharedRateLimitStore {
  redis: Redis;
  keyPrefix: string;
}

/** One policy: its limiter and the `RateLimit-Policy` field value it advertises. */
interface Policy {
  name: RateLimitPolicyName;
  quota: number;
  limiter: RateLimiterAbstract;
  /** `"per-client";q=600;w=60` */
  field: string;
}

/** The resource API's rate limits (docs/resource-api.md, "Rate limits"). */
export interface RateLimits {
  store: RateLimitStore;
  /**
   * Counts one request against `clientId`'s quota (an authenticated request), else against the
   * client address's network (`clientNetwork(req.ip)`: an IPv4 address, an IPv6 address's /64,
   * since one subscriber holds a whole /64), and sets `RateLimit-Policy` and `RateLimit` on `res`.
   *
   * @throws {ApiProblem} 429 `rate_limited` with `Retry-After` (seconds until the window frees)
   *   when the quota of this window is used up
   */
  count(req: Request, res: Response, clientId: string | undefined): Promise<void>;
}

/**
 * Builds the limits on rate-limiter-flexible: fixed windows of 60 s, one counter per client
 * (`client_id`) and one per client address, on Redis when `shared` is given (RateLimiterRedis: one
 * atomic Lua increment per request, so every instance counts into the same window), else in this
 * process's memory. On Redis, a counter that cannot be reached (Redis down, or slower than the
 * client's command timeout) is counted in this process's memory instead (the library's
 * `insuranceLimiter`, same quota): requests are never refused for Redis's sake, and while it is
 * away each instance counts alone, so a client may get up to one quota per instance.
 */
export function createRateLimits(settings: RateLimitSettings, shared: SharedRateLimitStore | null): RateLimits {
  const limiter = (name: RateLimitPolicyName, points: number): RateLimiterAbstract => {
    const options = { points, duration: RATE_LIMIT_WINDOW_SECONDS, keyPrefix: `ratelimit:${name}` };
    const memory = new RateLimiterMemory(options);
    if (!shared) return memory;
    return new RateLimiterRedis({
      ...options, keyPrefix: `${shared.keyPrefix}${options.keyPrefix}`, storeClient: shared.redis, rejectIfRedisNotReady: true, insuranceLimiter: memory,
    });
  };
  const policy = (name: RateLimitPolicyName, quota: number): Policy => ({
    name, quota, limiter: limiter(name, quota), field: `"${name}";q=${quota};w=${RATE_LIMIT_WINDOW_SECONDS}`,
  });
  const perClient = policy('per-client', settings.perClientPerMinute);
  const perAddress = policy('per-address', settings.perAddressPerMinute);
  return {
    store: shared ? 'redis' : 'memory',
    async count(req, res, clientId) {
      const [applied, key] = clientId === undefined ? [perAddress, clientNetwork(req.ip ?? 'unknown')] : [perClient, clientId];
      let state: RateLimiterRes;
      let refused = false;
      try {
        state = await applied.limiter.consume(key, 1);
      } catch (rejection) {
        // The library rejects with a RateLimiterRes past the quota, with an Error only when the
        // store fails and no insurance takes over, which cannot happen here.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        state = rejection;
        refused = true;
      }
      // A whole second at least: the window may end within the current one.
      const resetSeconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      res.set('RateLimit-Policy', applied.field);
      res.set('RateLimit', `"${applied.name}";r=${refused ? 0 : state.remainingPoints};t=${resetSeconds}`);
      if (refused) {
        const whose = applied.name === 'per-client' ? 'this client' : 'this address without a valid access token';
        throw new ApiProblem(429, 'rate_limited',
          `${whose} sent more than ${applied.quota} requests in ${RATE_LIMIT_WINDOW_SECONDS} s; retry after ${resetSeconds} s`,
          { 'Retry-After': String(resetSeconds) });
      }
    },
  };
}

/**
 * The app step that counts every `/v1` request (docs/resource-api.md, "Rate limits"): first
 * `checkCredentials` (the access token, so the request is counted against its client), then the
 * count. A request whose credentials are refused is counted against its address and then gets
 * its 401, with the rate-limit fields like every other answer; past the quota it gets 429 instead.
 *
 * @param checkCredentials resolves once the request's token is read and valid (or when the path
 *   needs none: unknown paths), rejects with the 401 otherwise
 * @param clientIdOf the authenticated request's `client_id`, undefined when none was validated
 */
export function limitRate(
  limits: RateLimits,
  checkCredentials: (req: Request, res: Response) => Promise<void>,
  clientIdOf: (req: Request) => string | undefined,
): RequestHandler {
  return async (req, res, next) => {
    let refusal: unknown;
    try {
      await checkCredentials(req, res);
    } catch (error) {
      refusal = error;
    }
    await limits.count(req, res, refusal === undefined ? clientIdOf(req) : undefined);
    if (refusal !== undefined) throw refusal;
    next();
  };
}
