import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactRedisUrl } from './redis-settings.ts';
import type { RedisSettings } from './redis-settings.ts';

/** Limits of a {@link openRedis} client, milliseconds; every one explicit (defaults in {@link REDIS_CLIENT_DEFAULTS}). */
export interface RedisClientLimits {
  /** The first connection must be ready within this long, or `openRedis` fails (and a reconnect attempt gives up). */
  connectTimeoutMs: number;
  /**
   * A command without an answer after this long fails: a Redis that hangs (paused, swapping) costs
   * a request at most this much before the caller's fallback (a 503, the memory limiter) applies.
   */
  commandTimeoutMs: number;
  /** Longest wait between reconnect attempts (they start at 100 ms and double). */
  reconnectMaxMs: number;
}

export const REDIS_CLIENT_DEFAULTS: RedisClientLimits = { connectTimeoutMs: 2_000, commandTimeoutMs: 1_000, reconnectMaxMs: 2_000 };

/** Options of {@link openRedis}. */
export interface OpenRedisOptions {
  /** Where the client says that Redis went away or came back (one line per change, never per command). */
  logger: Logger;
  /** `CLIENT SETNAME` of the connection, e.g. `payapi-resource-api` (seen in `CLIENT LIST`). */
  connectionName: string;
  limits?: Partial<RedisClientLimits>;
}

/**
 * Connects to Redis (ioredis) and resolves once the connection is ready. The client fails fast
 * rather than queue: no offline queue (a command while disconnected fails at once), at most one
 * resend after a reconnect, `commandTimeoutMs` per command; it reconnects by itself for ever
 * (100 ms doubling up to `reconnectMaxMs`). Callers decide what a failed command means (the
 * resource API: DPoP proofs refused with 503, rate limits counted in memory meanwhile). The logger
 * gets one warning when the connection is lost and one line when it is back, with the URL's
 * password replaced by `***` (errors are logged by the platform's serializer: type, message, code).
 * Once connected, it warns when Redis may evict keys when full (`maxmemory` set and a
 * `maxmemory-policy` other than `noeviction`): what is shared there must not be forgotten early.
 *
 * @throws {Error} naming the redacted URL when the first connection is not ready within
 *   `connectTimeoutMs` (the client is closed then)
 */
export async function openRedis(settings: RedisSettings, options: OpenRedisOptions): Promise<Redis> {
  const limits = { ...REDIS_CLIENT_DEFAULTS, ...options.limits };
  const where = redactRedisUrl(settings.url);
  const redis = new Redis(settings.url, {
    lazyConnect: true,
    connectionName: options.connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: limits.connectTimeoutMs,
    commandTimeout: limits.commandTimeoutMs,
    // How long a disconnect waits for the socket to close (ioredis keeps a timer that long, even for a refused socket).
    disconnectTimeout: 500,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 10), limits.reconnectMaxMs),
  });
  let ready = false;
  let wasReady = false;
  /** The last connection error before the first ready (ECONNREFUSED…): what `connect()`'s own rejection hides. */
  let firstError: unknown;
  redis.on('ready', () => {
    if (wasReady && !ready) options.logger.info({ redis: where }, 'Redis reachable again');
    ready = true;
    wasReady = true;
  });
  redis.on('error', (error: unknown) => {
    // ioredis emits an error per failed reconnect attempt: one warning per loss is enough (and a
    // failed first connection is openRedis's own error).
    if (ready) options.logger.warn({ err: error, redis: where }, 'Redis unreachable; reconnecting');
    if (!wasReady) firstError = error;
    ready = false;
  });
  redis.on('close', () => {
    if (ready) options.logger.warn({ redis: where }, 'Redis connection closed; reconnecting');
    ready = false;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const cause = firstError ?? error;
    throw new Error(`cannot reach Redis at ${where} (REDIS_URL): ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const evicting = await evictionPolicy(redis);
  if (evicting) {
    options.logger.warn({ redis: where, maxmemoryPolicy: evicting },
      `Redis may evict keys when full (maxmemory-policy ${evicting}): an evicted DPoP proof use could be replayed and an evicted rate-limit counter starts over; set maxmemory-policy noeviction`);
  }
  return redis;
}

/**
 * The `maxmemory-policy` of a Redis that may evict this deployment's keys (a `maxmemory` set and a
 * policy other than `noeviction`: every key written here has a TTL, so `volatile-*` policies take
 * them too), else null. Read from `INFO memory` (managed Redis services refuse `CONFIG GET`); null
 * when that cannot be read either.
 */
async function evictionPolicy(redis: Redis): Promise<string | null> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch {
    return null;
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const policy = field('maxmemory_policy');
  if (policy === undefined || policy === 'noeviction' || field('maxmemory') === '0') return null;
  return policy;
}

/**
 * Closes a client of {@link openRedis}: `QUIT` (commands in flight finish), or a hard disconnect
 * when Redis does not answer; resolves once the connection has ended.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  const ended = new Promise((resolve) => redis.once('end', resolve));
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
  await ended;
}
