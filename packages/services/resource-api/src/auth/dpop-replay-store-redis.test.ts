import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { closeRedis, createLogger, openRedis } from '@payapi/platform';
import { TEST_REDIS_URL, createTestRedis, startTcpRelay } from '@payapi/platform/testing';
import type { TestRedis } from '@payapi/platform/testing';
import type { Redis } from '@payapi/platform';
import type { DpopProofUse } from './dpop-replay-store.ts';
import { createRedisDpopReplayStore } from './dpop-replay-store-redis.ts';

let testRedis: TestRedis;
beforeAll(async () => {
  testRedis = await createTestRedis();
});
afterAll(async () => {
  await testRedis?.drop();
});

const silent = createLogger('test', 'silent');
let uses = 0;
const freshUse = (overrides: Partial<DpopProofUse> = {}): DpopProofUse => ({
  jkt: 'key-a', jti: `jti-${(uses += 1)}`, clientId: 'client-1', subject: 'alice', rememberUntilMs: Date.now() + 60_000, ...overrides,
});

describe('the Redis DPoP replay store across instances', () => {
  test('a proof claimed through one instance\'s client is refused as replayed through another\'s', async () => {
    const other = await openRedis(testRedis.settings, { logger: silent, connectionName: 'payapi-test-other' });
    try {
      const options = { keyPrefix: `${testRedis.settings.keyPrefix}across:`, logger: silent };
      const first = createRedisDpopReplayStore(testRedis.redis, options);
      const second = createRedisDpopReplayStore(other, options);
      const use = freshUse();
      expect(await first.claim(use)).toBe('claimed');
      expect(await second.claim(use)).toBe('replayed');
      expect(await first.claim(use)).toBe('replayed');
      // Another deployment (another REDIS_KEY_PREFIX) on the same Redis shares nothing.
      expect(await createRedisDpopReplayStore(other, { ...options, keyPrefix: `${testRedis.settings.keyPrefix}elsewhere:` }).claim(use)).toBe('claimed');
    } finally {
      await closeRedis(other);
    }
  });

  test('the same proof claimed 20 times at once through two clients is claimed exactly once', async () => {
    const other = await openRedis(testRedis.settings, { logger: silent, connectionName: 'payapi-test-other' });
    try {
      const options = { keyPrefix: `${testRedis.settings.keyPrefix}race:`, logger: silent };
      const stores = [createRedisDpopReplayStore(testRedis.redis, options), createRedisDpopReplayStore(other, options)];
      const use = freshUse();
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, index) => stores[index % 2]!.claim(use)));
      expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'replayed')).toHaveLength(19);
    } finally {
      await closeRedis(other);
    }
  });

  test('what it writes expires a second after the last use is forgotten, under the deployment\'s prefix only', async () => {
    const keyPrefix = `${testRedis.settings.keyPrefix}ttl:`;
    const store = createRedisDpopReplayStore(testRedis.redis, { keyPrefix, logger: silent });
    const nowMs = Date.now();
    expect(await store.claim(freshUse({ rememberUntilMs: nowMs + 30_000 }))).toBe('claimed');
    const keys = (await testRedis.keys()).filter((key) => key.startsWith(keyPrefix)).sort();
    expect(keys).toEqual([
      `${keyPrefix}{dpop}:client:${keys[0]!.split(':').at(-1)}`, `${keyPrefix}{dpop}:key:key-a`,
      `${keyPrefix}{dpop}:subject:${keys[2]!.split(':').at(-1)}`, `${keyPrefix}{dpop}:uses`,
    ]);
    for (const key of keys) {
      const ttlMs = await testRedis.redis.pttl(key);
      // forget-at is the end of the second of rememberUntilMs, plus a second: 31 to 32 s from the claim.
      expect(ttlMs).toBeGreaterThan(29_000);
      expect(ttlMs).toBeLessThanOrEqual(32_000);
    }
  });
});

describe('the Redis DPoP replay store when Redis is unreachable', () => {
  test('fails closed (unavailable) while the connection is down, logs it once, and claims again once Redis is back', async () => {
    const target = new URL(TEST_REDIS_URL);
    const relay = await startTcpRelay(target.hostname, Number(target.port || 6379));
    const lines: string[] = [];
    const logger = createLogger('resource-api', 'info', new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    }));
    let redis: Redis | undefined;
    try {
      const relayed = new URL(TEST_REDIS_URL);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(relay.port);
      redis = await openRedis({ ...testRedis.settings, url: relayed.toString() }, { logger, connectionName: 'payapi-test-relay' });
      const store = createRedisDpopReplayStore(redis, { keyPrefix: `${testRedis.settings.keyPrefix}down:`, logger });
      const before = freshUse();
      expect(await store.claim(before)).toBe('claimed');
      await relay.cut();
      // Never accepted unrecorded: the replay of `before` and a fresh proof alike.
      expect(await store.claim(before)).toBe('unavailable');
      expect(await store.claim(freshUse())).toBe('unavailable');
      const refusals = lines.filter((line) => line.includes('DPoP proofs refused'));
      expect(refusals).toHaveLength(1);
      expect(lines.some((line) => line.includes('"Redis connection closed; reconnecting"') || line.includes('"Redis unreachable; reconnecting"'))).toBe(true);
      await relay.restore();
      await new Promise<void>((resolve) => redis?.once('ready', () => resolve()));
      expect(await store.claim(before)).toBe('replayed');
      expect(await store.claim(freshUse())).toBe('claimed');
      expect(lines.some((line) => line.includes('"Redis reachable again"'))).toBe(true);
    } finally {
      if (redis) await closeRedis(redis);
      await relay.close();
    }
  });
});
