import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { clientNetwork } from './client-ip.ts';
import { UserError } from './errors.ts';
import { usernameKey } from './username.ts';

/** One limit: at most `attemptsMax` counted attempts per fixed window of `windowSeconds`. */
export interface LoginThrottleLimit {
  /** Counted attempts allowed per window; a positive integer. */
  attemptsMax: number;
  /** Window length in seconds, starting at the first counted attempt; a positive integer. */
  windowSeconds: number;
}

/** Options of {@link createLoginThrottle}; each limit defaults to {@link LOGIN_THROTTLE_DEFAULTS}. */
export interface LoginThrottleOptions {
  /** Per account (per username key): guards one account against guessing from many addresses. */
  perUsername?: LoginThrottleLimit;
  /** Per client network (see `clientNetwork`): guards against one source trying many accounts. */
  perIp?: LoginThrottleLimit;
}

/**
 * Default limits: 5 failed sign-ins per username and 20 per client network, each per 15 minutes
 * (OWASP Authentication Cheat Sheet, "Login Throttling"; NIST SP 800-63B §5.2.2 allows up to 100).
 */
export const LOGIN_THROTTLE_DEFAULTS: Readonly<Required<LoginThrottleOptions>> = Object.freeze({
  perUsername: Object.freeze({ attemptsMax: 5, windowSeconds: 15 * 60 }),
  perIp: Object.freeze({ attemptsMax: 20, windowSeconds: 15 * 60 }),
});

/** What {@link LoginThrottle.check} decided. `retryAfterSeconds` (>= 1) suits an HTTP `Retry-After` header (RFC 9110 §10.2.3). */
export type LoginThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Login throttling, stored in PostgreSQL (`auth.login_throttle`), shared by every process on the database. */
export interface LoginThrottle {
  /**
   * Counts one sign-in attempt and says whether it may go ahead. Call it before verifying the
   * password: the attempt is counted first (one atomic upsert per limit), so parallel guesses are
   * limited as well as sequential ones. The network is counted first; when it is over its limit
   * the account's counter is left alone, so an address already shut out cannot lock the account.
   *
   * @param usernameKey the username as `usernameKey` returns it (applied again here, harmlessly,
   *   so a raw username cannot escape the limit by changing case); any string, even invalid
   * @param ip the client address (`req.ip`); counted per `clientNetwork`
   * @throws {UserError} `temporarily_unavailable` when the store fails (refuse the attempt)
   */
  check(usernameKey: string, ip: string): Promise<LoginThrottleDecision>;
  /**
   * Records a successful sign-in: clears the account's counter and gives back the network's
   * point for this attempt, so only failures count. Call it after `verifyLogin` returned a user.
   *
   * @throws {UserError} `temporarily_unavailable` when the store fails
   */
  recordSuccess(usernameKey: string, ip: string): Promise<void>;
}

const TABLE = 'login_throttle';
const SCHEMA = 'auth';

/**
 * Creates the login throttle on rate-limiter-flexible's PostgreSQL store, table
 * `auth.login_throttle` (made by the auth migrations; the library is told not to create it).
 * Keys are `login_user:` or `login_ip:` followed by a SHA-256 of the username key or network, so
 * the table holds no usernames or addresses and keys fit its 255 characters. The windows are fixed
 * (they start at the first counted attempt); expired rows are deleted by the library about every
 * 5 minutes (an unref'd timer, per limiter).
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 * @param options limits; see {@link LOGIN_THROTTLE_DEFAULTS}
 * @throws {RangeError} when a limit is not a positive integer (the message names the option)
 */
export function createLoginThrottle(db: Knex, options: LoginThrottleOptions = {}): LoginThrottle {
  const perUsername = checkLimit('perUsername', options.perUsername ?? LOGIN_THROTTLE_DEFAULTS.perUsername);
  const perIp = checkLimit('perIp', options.perIp ?? LOGIN_THROTTLE_DEFAULTS.perIp);
  const byUsername = limiter(db, 'login_user', perUsername);
  const byNetwork = limiter(db, 'login_ip', perIp);

  return {
    async check(key, ip) {
      const network = await consume(byNetwork, networkKey(ip));
      if (!network.allowed) return network;
      return consume(byUsername, accountKey(key));
    },
    async recordSuccess(key, ip) {
      try {
        await byUsername.delete(accountKey(key));
        await byNetwork.reward(networkKey(ip), 1);
      } catch (error) {
        throw storeFailure(error);
      }
    },
  };
}

function limiter(db: Knex, keyPrefix: string, limit: LoginThrottleLimit): RateLimiterPostgres {
  // Every option explicit: nothing rests on the library's defaults.
  return new RateLimiterPostgres({
    storeClient: db,
    storeType: 'knex',
    schemaName: SCHEMA,
    tableName: TABLE,
    tableCreated: true,
    clearExpiredByTimeout: true,
    keyPrefix,
    points: limit.attemptsMax,
    duration: limit.windowSeconds,
    blockDuration: 0,
    execEvenly: false,
    inMemoryBlockOnConsumed: 0,
  });
}

async function consume(limiter: RateLimiterPostgres, key: string): Promise<LoginThrottleDecision> {
  try {
    await limiter.consume(key, 1);
    return { allowed: true };
  } catch (rejection) {
    // The library rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
    if (rejection instanceof RateLimiterRes) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
    }
    throw storeFailure(rejection);
  }
}

function storeFailure(cause: unknown): UserError {
  return new UserError('temporarily_unavailable', 'sign-in is temporarily unavailable, try again later', { cause });
}

function accountKey(key: string): string {
  return sha256(usernameKey(key.toWellFormed()));
}

function networkKey(ip: string): string {
  return sha256(clientNetwork(ip.toWellFormed()));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

function checkLimit(name: string, limit: LoginThrottleLimit): LoginThrottleLimit {
  for (const field of ['attemptsMax', 'windowSeconds'] as const) {
    const value = limit[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`login throttle option ${name}.${field} must be a positive integer, got ${String(value)}`);
    }
  }
  return { attemptsMax: limit.attemptsMax, windowSeconds: limit.windowSeconds };
}
