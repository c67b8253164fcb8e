import { randomBytes } from 'node:crypto';
import type { Redis } from '@payapi/platform';
import { createLogger } from '../logging/logger.ts';
import { closeRedis, openRedis } from '../redis-client.ts';
import type { RedisSettings } from '../redis-settings.ts';

/** Where the tests' Redis is: `TEST_REDIS_URL`, else the machine's on 127.0.0.1:6379 (`.ci/run` starts it). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A key prefix of its own on the tests' Redis, for one test file (or one deployment within it). */
export interface TestRedis {
  /** `REDIS_URL` and a `REDIS_KEY_PREFIX` nobody else uses (`payapi-test:<pid>:<random>:`). */
  settings: RedisSettings;
  /** A client of the test's own on that Redis. */
  redis: Redis;
  /** Every key under the prefix (SCAN, so only this test's). */
  keys(): Promise<string[]>;
  /** Deletes the prefix's keys and closes the client. */
  drop(): Promise<void>;
}

/**
 * Opens the tests' Redis with a fresh key prefix, so that test files running in parallel (and
 * several deployments inside one test) never share a counter: the same isolation as
 * `createTestDatabase`, by prefix instead of database.
 *
 * @throws {Error} naming the URL when Redis does not answer: these tests need a real one
 *   (`redis-server` on 127.0.0.1:6379, or `TEST_REDIS_URL`)
 */
export async function createTestRedis(): Promise<TestRedis> {
  const settings = { url: TEST_REDIS_URL, keyPrefix: `payapi-test:${process.pid}:${randomBytes(4).toString('hex')}:` };
  let redis: Redis;
  try {
    redis = await openRedis(settings, { logger: createLogger('test-redis', 'silent'), connectionName: 'payapi-test' });
  } catch (error) {
    throw new Error(`${(error as Error).message}; these tests need a real Redis: start redis-server, or set TEST_REDIS_URL`);
  }
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${settings.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return {
    settings,
    redis,
    keys,
    async drop() {
      const found = await keys();
      if (found.length > 0) await redis.unlink(...found);
      await closeRedis(redis);
    },
  };
}
