import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { clientNetwork } from '@payapi/platform';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { UserError } from './errors.ts';
import { loginDelayMs } from './login-delay.ts';
import type { LoginSlowdown } from './login-delay.ts';
import { usernameKey } from './username.ts';

/** One limit: at most `attemptsMax` counted attempts per fixed window of `windowSeconds`. */
export interface LoginThrottleLimit {
  /** Counted attempts allowed per window; a positive integer. */
  attemptsMax: number;
  /** Window length in seconds, starting at the first counted attempt; a positive integer. */
  windowSeconds: number;
}

/** Options of {@link createLoginThrottle}; each defaults to its value in {@link LOGIN_THROTTLE_DEFAULTS}. */
export interface LoginThrottleOptions {
  /**
   * Per username and client network (see `clientNetwork`): refuses. Guards one account against
   * guessing from one network, without letting that network lock the account for anyone else.
   */
  perUsernameAndNetwork?: LoginThrottleLimit;
  /** Per client network: refuses. Guards against one source trying many accounts. */
  perIp?: LoginThrottleLimit;
  /** Per username, from any network: only slows down (see `loginDelayMs`), never refuses. */
  perUsername?: LoginSlowdown;
}

/**
 * Default limits, each per 15 minutes: 5 failed sign-ins per username and client network, 20 per
 * client network; per username from anywhere no delay for 5 failures, then 0.5 s doubling to at
 * most 4 s (OWASP Authentication Cheat Sheet, "Login Throttling"; NIST SP 800-63B §5.2.2 allows up
 * to 100 failures). A lockout per username alone would let anyone lock any user out.
 */
export const LOGIN_THROTTLE_DEFAULTS: Readonly<Required<LoginThrottleOptions>> = Object.freeze({
  perUsernameAndNetwork: Object.freeze({ attemptsMax: 5, windowSeconds: 15 * 60 }),
  perIp: Object.freeze({ attemptsMax: 20, windowSeconds: 15 * 60 }),
  perUsername: Object.freeze({ windowSeconds: 15 * 60, failuresBeforeDelay: 5, delayFirstMs: 500, delayMaxMs: 4000 }),
});

/**
 * What {@link LoginThrottle.check} decided. Allowed: wait `delayMs` (0 to the slowdown's
 * `delayMaxMs`) before checking the password. Refused: `retryAfterSeconds` (>= 1) suits an HTTP
 * `Retry-After` header (RFC 9110 §10.2.3).
 */
export type LoginThrottleDecision = { allowed: true; delayMs: number } | { allowed: false; retryAfterSeconds: number };

/** Login throttling, stored in PostgreSQL (`auth.login_throttle`), shared by every process on the database. */
export interface LoginThrottle {
  /**
   * Counts one sign-in attempt and says whether it may go ahead, and after what delay. Call it
   * before verifying the password: the attempt is counted first (one atomic upsert per counter),
   * so parallel guesses are limited as well as sequential ones. Counters in order, each only when
   * the one before allowed the attempt: the client network (refuses past its limit), the username
   * from this network (refuses past its limit), the username from anywhere (sets the delay). So an
   * address already shut out adds nothing to the account's counters, and no number of failures
   * from elsewhere refuses the owner's attempt: it is only slowed down.
   *
   * @param usernameKey the username as `usernameKey` returns it (applied again here, harmlessly,
   *   so a raw username cannot escape the limit by changing case); any string, even invalid
   * @param ip the client address (`req.ip`); counted per `clientNetwork` (an IPv6 /64 is one network)
   * @throws {UserError} `temporarily_unavailable` when the store fails (refuse the attempt)
   */
  check(usernameKey: string, ip: string): Promise<LoginThrottleDecision>;
  /**
   * Records a successful sign-in: clears the username's counter for this network and gives back
   * this attempt's point to the username's delay counter and to the network, so only failures
   * count. Failures from other networks keep counting. Call it after `verifyLogin` returned a user.
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
 * Keys are `login_ip:`, `login_user_net:` or `login_user:` followed by a SHA-256 of the network,
 * of the username key and network, or of the username key, so the table holds no usernames or
 * addresses and keys fit its 255 characters. The windows are fixed (they start at the first
 * counted attempt); expired rows are deleted by the library about every 5 minutes (an unref'd
 * timer, per limiter).
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 * @param options limits; see {@link LOGIN_THROTTLE_DEFAULTS}
 * @throws {RangeError} when a limit is not a positive integer, or a delay cap is below the first
 *   delay (the message names the option)
 */
export function createLoginThrottle(db: Knex, options: LoginThrottleOptions = {}): LoginThrottle {
  const perPair = checkLimit('perUsernameAndNetwork', options.perUsernameAndNetwork ?? LOGIN_THROTTLE_DEFAULTS.perUsernameAndNetwork);
  const perIp = checkLimit('perIp', options.perIp ?? LOGIN_THROTTLE_DEFAULTS.perIp);
  const slowdown = checkSlowdown(options.perUsername ?? LOGIN_THROTTLE_DEFAULTS.perUsername);
  const byNetwork = limiter(db, 'login_ip', perIp);
  const byUsernameAndNetwork = limiter(db, 'login_user_net', perPair);
  // Never refuses (only `penalty` and `reward` are called on it); `points` is only its nominal size.
  const byUsername = limiter(db, 'login_user', { attemptsMax: slowdown.failuresBeforeDelay, windowSeconds: slowdown.windowSeconds });

  return {
    async check(key, ip) {
      const network = await consume(byNetwork, networkKey(ip));
      if (!network.allowed) return network;
      const pair = await consume(byUsernameAndNetwork, pairKey(key, ip));
      if (!pair.allowed) return pair;
      try {
        const counted = await byUsername.penalty(accountKey(key), 1);
        return { allowed: true, delayMs: loginDelayMs(counted.consumedPoints - 1, slowdown) };
      } catch (error) {
        throw storeFailure(error);
      }
    },
    async recordSuccess(key, ip) {
      try {
        await byUsernameAndNetwork.delete(pairKey(key, ip));
        await byUsername.reward(accountKey(key), 1);
        await byNetwork.reward(networkKey(ip), 1);
      } catch (error) {
        throw storeFailure(error);
      }
    },
  };
}

/**
 * A count of a costly action per client network, refused past its limit: for what has no account
 * to count against yet, like the developer portal's sign-ups (each costs an Argon2id hash, about
 * 30 ms of CPU and 19 MiB, so one source must not be able to spend the CPU everyone else needs).
 */
export interface NetworkThrottle {
  /**
   * Counts one attempt from `ip`'s network (see `clientNetwork`: an IPv6 /64 is one network) and
   * says whether it may go ahead (`delayMs` is always 0). Call it before the costly work; the count
   * is one atomic upsert, so parallel attempts are limited too.
   *
   * @throws {UserError} `temporarily_unavailable` when the store fails (refuse the attempt)
   */
  check(ip: string): Promise<LoginThrottleDecision>;
}

/**
 * Creates a {@link NetworkThrottle} on the sign-in throttle's table (`auth.login_throttle`), keyed
 * `<name>:` and a SHA-256 of the network, so it shares nothing with the sign-in counts.
 *
 * @param name the counter's key prefix: lower-case letters and underscores, not one of the sign-in
 *   throttle's (`login_ip`, `login_user_net`, `login_user`)
 * @param limit attempts per fixed window (starting at the first attempt)
 * @throws {RangeError} for a malformed or taken name, or a limit that is not positive integers
 */
export function createNetworkThrottle(db: Knex, name: string, limit: LoginThrottleLimit): NetworkThrottle {
  if (!/^[a-z_]{1,40}$/.test(name) || name.startsWith('login_')) {
    throw new RangeError(`network throttle name must be lower-case letters and underscores, not starting with login_: ${name.slice(0, 40)}`);
  }
  const byNetwork = limiter(db, name, checkLimit(name, limit));
  return { check: (ip) => consume(byNetwork, networkKey(ip)) };
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

/** One attempt against a refusing limit: allowed (`delayMs` 0; the caller adds the username's delay) or refused. */
async function consume(limiter: RateLimiterPostgres, key: string): Promise<LoginThrottleDecision> {
  try {
    await limiter.consume(key, 1);
    return { allowed: true, delayMs: 0 };
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

/** The username and the network together; JSON keeps the two apart whatever characters they hold. */
function pairKey(key: string, ip: string): string {
  return sha256(JSON.stringify([usernameKey(key.toWellFormed()), clientNetwork(ip.toWellFormed())]));
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

function checkSlowdown(slowdown: LoginSlowdown): LoginSlowdown {
  for (const field of ['windowSeconds', 'failuresBeforeDelay', 'delayFirstMs', 'delayMaxMs'] as const) {
    const value = slowdown[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`login throttle option perUsername.${field} must be a positive integer, got ${String(value)}`);
    }
  }
  if (slowdown.delayMaxMs < slowdown.delayFirstMs) {
    throw new RangeError(`login throttle option perUsername.delayMaxMs must be at least delayFirstMs (${slowdown.delayFirstMs}), got ${slowdown.delayMaxMs}`);
  }
  return { ...slowdown };
}
