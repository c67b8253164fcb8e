import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createLogger } from './logging/logger.ts';
import { closeRedis, openRedis } from './redis-client.ts';
import { redactRedisUrl } from './redis-settings.ts';
import { TEST_REDIS_URL } from './testing/test-redis.ts';

/** A port on 127.0.0.1 where nothing listens (taken a moment ago, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openRedis', () => {
  test('an unreachable Redis stops the start with one message naming REDIS_URL, its password shown as ***, and logs nothing', async () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'trace', new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    }));
    const url = `redis://payapi:s3cret-redis-password@127.0.0.1:${await closedPort()}/0`;
    // A short connect timeout: ioredis leaves its timer on the refused socket until it fires.
    const failure = await openRedis({ url, keyPrefix: 'payapi:' }, { logger, connectionName: 'payapi-test', limits: { connectTimeoutMs: 200 } })
      .then(() => null, (error: Error) => error);
    expect(failure?.message).toMatch(/^cannot reach Redis at redis:\/\/payapi:\*\*\*@127\.0\.0\.1:[0-9]+\/0 \(REDIS_URL\): .*ECONNREFUSED/);
    expect(failure?.message).not.toContain('s3cret-redis-password');
    expect(lines.join('')).not.toContain('s3cret-redis-password');
  });

  test('a reachable one resolves ready, named, and closes', async () => {
    const redis = await openRedis({ url: TEST_REDIS_URL, keyPrefix: 'payapi:' }, { logger: createLogger('test', 'silent'), connectionName: 'payapi-open-test' });
    try {
      expect(redis.status).toBe('ready');
      expect(await redis.client('GETNAME')).toBe('payapi-open-test');
    } finally {
      await closeRedis(redis);
    }
    expect(redis.status).toBe('end');
  });
});

test('redactRedisUrl hides the password only', () => {
  expect(redactRedisUrl('rediss://default:pw@cache.example:6380/2')).toBe('rediss://default:***@cache.example:6380/2');
  expect(redactRedisUrl('redis://cache:6379')).toBe('redis://cache:6379');
  expect(redactRedisUrl('not a url')).toBe('(unparseable Redis URL)');
});
