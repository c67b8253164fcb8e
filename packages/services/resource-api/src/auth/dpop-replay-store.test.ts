import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createLogger } from '@payapi/platform';
import { createTestRedis } from '@payapi/platform/testing';
import type { TestRedis } from '@payapi/platform/testing';
import { DPOP_REPLAY_LIMITS, createMemoryDpopReplayStore } from './dpop-replay-store.ts';
import type { DpopProofUse, DpopReplayLimits, DpopReplayStore } from './dpop-replay-store.ts';
import { createRedisDpopReplayStore } from './dpop-replay-store-redis.ts';

const START_MS = 1_800_000_000_000;

function clock() {
  const state = { nowMs: START_MS };
  return { state, now: () => state.nowMs };
}

const use = (jkt: string, jti: string, clientId: string, options: { subject?: string; rememberForSeconds?: number } = {}): DpopProofUse => ({
  jkt, jti, clientId, subject: options.subject ?? `user-of-${jkt}`, rememberUntilMs: START_MS + (options.rememberForSeconds ?? 60) * 1000,
});

let testRedis: TestRedis;
let stores = 0;
beforeAll(async () => {
  testRedis = await createTestRedis();
});
afterAll(async () => {
  await testRedis?.drop();
});

type StoreFactory = (limits: DpopReplayLimits | undefined, now: () => number) => DpopReplayStore;

/** The same tests for both stores: they must answer alike (docs/resource-api.md, "DPoP"). */
const STORES: Array<[string, StoreFactory]> = [
  ['in-memory', (limits, now) => createMemoryDpopReplayStore(limits, now)],
  // A fresh key prefix per store: each test starts from an empty store, as with the memory one.
  ['Redis', (limits, now) => createRedisDpopReplayStore(testRedis.redis, {
    keyPrefix: `${testRedis.settings.keyPrefix}store-${(stores += 1)}:`, limits: limits ?? DPOP_REPLAY_LIMITS, now, logger: createLogger('test', 'silent'),
  })],
];

describe.each(STORES)('the %s DPoP replay store', (_name, createStore) => {
  test('finding 1 (security review, docs/security.md): one key that fills its share is refused, while other keys and clients are still served', async () => {
    const time = clock();
    const store = createStore({ perKeyMax: 3, perSubjectMax: 100, perClientMax: 5, totalMax: 8 }, time.now);
    for (const jti of ['a1', 'a2', 'a3']) expect(await store.claim(use('key-a', jti, 'client-1'))).toBe('claimed');
    expect(await store.claim(use('key-a', 'a4', 'client-1'))).toBe('key_quota');
    // A replay is still called a replay, quota or not.
    expect(await store.claim(use('key-a', 'a1', 'client-1'))).toBe('replayed');
    // More keys of the same client share the client's quota.
    for (const jti of ['b1', 'b2']) expect(await store.claim(use('key-b', jti, 'client-1'))).toBe('claimed');
    expect(await store.claim(use('key-c', 'c1', 'client-1'))).toBe('client_quota');
    // Another client is unaffected until the store's total is reached.
    for (const jti of ['d1', 'd2', 'd3']) expect(await store.claim(use('key-d', jti, 'client-2'))).toBe('claimed');
    expect(await store.claim(use('key-e', 'e1', 'client-3'))).toBe('full');
  });

  test('finding 1, review of the fix: one user of a public app filling their share with several keys leaves the app\'s other users served', async () => {
    const time = clock();
    const store = createStore({ perKeyMax: 2, perSubjectMax: 3, perClientMax: 10, totalMax: 10 }, time.now);
    for (const [key, jti] of [['mallory-1', 'm1'], ['mallory-1', 'm2'], ['mallory-2', 'm3']] as const) {
      expect(await store.claim(use(key, jti, 'public-app', { subject: 'mallory' }))).toBe('claimed');
    }
    expect(await store.claim(use('mallory-2', 'm4', 'public-app', { subject: 'mallory' }))).toBe('subject_quota');
    expect(await store.claim(use('mallory-3', 'm5', 'public-app', { subject: 'mallory' }))).toBe('subject_quota');
    expect(await store.claim(use('bob-1', 'b1', 'public-app', { subject: 'bob' }))).toBe('claimed');
  });

  test('finding 1, review of the fix: a proof claimed after its rememberUntilMs is refused as expired, even when its first use is forgotten', async () => {
    const time = clock();
    const store = createStore(undefined, time.now);
    // A proof 50 s old when its request began: remembered until 11 s from now.
    const slow = use('key-a', 'slow-body', 'client-1', { rememberForSeconds: 11 });
    expect(await store.claim(slow)).toBe('claimed');
    time.state.nowMs = START_MS + 10_999;
    expect(await store.claim(slow)).toBe('replayed');
    for (const laterMs of [11_000, 13_000, 19_000]) {
      time.state.nowMs = START_MS + laterMs;
      expect(await store.claim(slow)).toBe('expired');
    }
  });

  test('a refused claim remembers nothing: the same proof is claimed once room is back', async () => {
    const time = clock();
    const store = createStore({ perKeyMax: 1, perSubjectMax: 10, perClientMax: 10, totalMax: 10 }, time.now);
    expect(await store.claim(use('key-a', 'first', 'client-1', { rememberForSeconds: 10 }))).toBe('claimed');
    expect(await store.claim(use('key-a', 'second', 'client-1'))).toBe('key_quota');
    time.state.nowMs = START_MS + 10_000;
    expect(await store.claim(use('key-a', 'second', 'client-1'))).toBe('claimed');
    expect(await store.claim(use('key-a', 'second', 'client-1'))).toBe('replayed');
  });

  test('a use is remembered through the second its rememberUntilMs falls in, then forgotten with its quota', async () => {
    const time = clock();
    const store = createStore({ perKeyMax: 2, perSubjectMax: 2, perClientMax: 2, totalMax: 2 }, time.now);
    const early = { ...use('key-a', 'early', 'client-1'), rememberUntilMs: START_MS + 3_500 };
    expect(await store.claim(early)).toBe('claimed');
    expect(await store.claim(use('key-a', 'late', 'client-1', { rememberForSeconds: 30 }))).toBe('claimed');
    time.state.nowMs = START_MS + 3_499;
    expect(await store.claim(early)).toBe('replayed');
    expect(await store.claim(use('key-a', 'third', 'client-1'))).toBe('key_quota');
    time.state.nowMs = START_MS + 4_000;
    expect(await store.claim(use('key-a', 'third', 'client-1'))).toBe('claimed');
    expect(await store.claim(use('key-a', 'late', 'client-1', { rememberForSeconds: 30 }))).toBe('replayed');
  });

  test('after a pause longer than every bucket, all expired uses are dropped at once', async () => {
    const time = clock();
    const store = createStore({ perKeyMax: 1_000, perSubjectMax: 1_000, perClientMax: 1_000, totalMax: 1_000 }, time.now);
    for (let index = 0; index < 1_000; index += 1) {
      expect(await store.claim(use(`key-${index % 7}`, `jti-${index}`, `client-${index % 3}`, { rememberForSeconds: 1 + (index % 60) }))).toBe('claimed');
    }
    expect(await store.claim(use('key-x', 'one-more', 'client-x'))).toBe('full');
    time.state.nowMs = START_MS + 24 * 3_600_000;
    const later = (jkt: string, jti: string, clientId: string): DpopProofUse => ({ ...use(jkt, jti, clientId), rememberUntilMs: time.state.nowMs + 60_000 });
    expect(await store.claim(later('key-x', 'one-more', 'client-x'))).toBe('claimed');
    expect(await store.claim(later('key-0', 'jti-0', 'client-0'))).toBe('claimed');
  });
});
