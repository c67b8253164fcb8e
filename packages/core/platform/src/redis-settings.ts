import { ConfigError } from './config-error.ts';
import { redactUrlPassword } from './redact-url.ts';

/** Where state shared between the instances of a service lives (docs/operations.md, "Shared state"). */
export interface RedisSettings {
  /** `REDIS_URL`: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. Secret: log {@link redactRedisUrl} of it. */
  url: string;
  /**
   * `REDIS_KEY_PREFIX` (default `payapi:`): every key this deployment writes starts with it, so two
   * deployments (or two test runs) on one Redis never share a counter.
   */
  keyPrefix: string;
}

/** `REDIS_KEY_PREFIX` when unset. */
export const DEFAULT_REDIS_KEY_PREFIX = 'payapi:';

/** 1 to 64 characters of letters, digits and `:_.-`: printable in `redis-cli`, never a hash tag (`{}`) by accident. */
const KEY_PREFIX = /^[A-Za-z0-9:_.-]{1,64}$/;

/**
 * Reads `REDIS_URL` and `REDIS_KEY_PREFIX`. Unset (or empty) `REDIS_URL` means no shared store:
 * this process counts alone, which demo mode accepts (with a warning, said by the caller) and
 * production refuses, since several instances would each count alone.
 *
 * @param env reads `REDIS_URL`, `REDIS_KEY_PREFIX` and `NODE_ENV`
 * @returns the settings, or undefined without `REDIS_URL` outside production
 * @throws {ConfigError} naming `REDIS_URL`: not a `redis:` or `rediss:` URL, or carrying a query or
 *   fragment, or missing with `NODE_ENV=production`; naming `REDIS_KEY_PREFIX` when it is not 1 to
 *   64 characters of letters, digits and `:_.-`
 */
export function readRedisSettings(env: Readonly<Record<string, string | undefined>>): RedisSettings | undefined {
  const keyPrefix = env.REDIS_KEY_PREFIX || DEFAULT_REDIS_KEY_PREFIX;
  if (!KEY_PREFIX.test(keyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1 to 64 letters, digits or :_.- (e.g. "payapi:")');
  }
  const value = env.REDIS_URL ?? '';
  if (value === '') {
    if (env.NODE_ENV === 'production') {
      throw new ConfigError('REDIS_URL', 'is required when NODE_ENV=production: rate limits and DPoP proof replays must be counted across every instance');
    }
    return undefined;
  }
  return { url: checkRedisUrl(value), keyPrefix };
}

/**
 * Checks a Redis URL from configuration. The message never repeats the value: it may carry a password.
 *
 * @throws {ConfigError} naming `REDIS_URL`
 */
function checkRedisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL (expected redis://[user:password@]host:port[/db] or rediss://… for TLS)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `has protocol "${url.protocol.slice(0, 20)}", expected redis: or rediss:`);
  }
  if (url.hostname === '') throw new ConfigError('REDIS_URL', 'names no host');
  if (url.search || url.hash) throw new ConfigError('REDIS_URL', 'must not carry a query or fragment');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/[0-9]{1,2}$/.test(url.pathname)) {
    throw new ConfigError('REDIS_URL', 'may name a database number only as its path (/0 to /99)');
  }
  return value;
}

/** The URL with its password replaced by `***`, for logs and messages. */
export function redactRedisUrl(value: string): string {
  return redactUrlPassword(value, '(unparseable Redis URL)');
}
