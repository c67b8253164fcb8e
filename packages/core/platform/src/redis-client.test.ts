import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

/** Lines a logger of the platform wrote, kept to read back. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('test', 'trace', new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  }));
  return { logger, lines };
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

  test('a Redis that may evict keys when full is named in a warning at start: an evicted DPoP proof use could be replayed', async () => {
    // A Redis of the test's own (the machine's is shared with other tests): 10 MB at most, then it
    // evicts keys that have a TTL, as managed services do by default (volatile-lru).
    const port = await closedPort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--maxmemory', '10mb', '--maxmemory-policy', 'volatile-lru'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      server.stdout.setEncoding('utf8');
      while (!output.includes('Ready to accept connections')) output += (await once(server.stdout, 'data'))[0];
      const { logger, lines } = capturedLogger();
      const redis = await openRedis({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'payapi:' }, { logger, connectionName: 'payapi-eviction-test' });
      await closeRedis(redis);
      const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; maxmemoryPolicy?: string })
        .filter((line) => line.msg.includes('evict'));
      expect(warnings.map((line) => [line.level, line.maxmemoryPolicy, line.msg])).toEqual([[40, 'volatile-lru',
        'Redis may evict keys when full (maxmemory-policy volatile-lru): an evicted DPoP proof use could be replayed and an evicted rate-limit counter starts over; set maxmemory-policy noeviction']]);
    } finally {
      server.kill();
      if (server.exitCode === null) await once(server, 'exit');
    }
  });

  test('a Redis that never evicts (noeviction, or no maxmemory) gets no warning', async () => {
    const { logger, lines } = capturedLogger();
    const redis = await openRedis({ url: TEST_REDIS_URL, keyPrefix: 'payapi:' }, { logger, connectionName: 'payapi-eviction-test' });
    await closeRedis(redis);
    expect(lines.filter((line) => line.includes('evict'))).toEqual([]);
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
