import { describe, expect, test } from '@jest/globals';
import { createMemoryDpopReplayStore } from './dpop-replay-store.ts';
import type { DpopProofUse } from './dpop-replay-store.ts';

const START_MS = 1_800_000_000_000;

function clock() {
  const state = { nowMs: START_MS };
  return { state, now: () => state.nowMs };
}

const use = (jkt: string, jti: string, clientId: string, rememberForSeconds = 60): DpopProofUse => ({
  jkt, jti, clientId, rememberUntilMs: START_MS + rememberForSeconds * 1000,
});

describe('the in-memory DPoP replay store', () => {
  test('finding 1 (issue 10): one key that fills its share is refused, while other keys and clients are still served', async () => {
    const time = clock();
    const store = createMemoryDpopReplayStore({ perKeyMax: 3, perClientMax: 5, totalMax: 8 }, time.now);
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

  test('a refused claim remembers nothing: the same proof is claimed once room is back', async () => {
    const time = clock();
    const store = createMemoryDpopReplayStore({ perKeyMax: 1, perClientMax: 10, totalMax: 10 }, time.now);
    expect(await store.claim(use('key-a', 'first', 'client-1', 10))).toBe('claimed');
    expect(await store.claim(use('key-a', 'second', 'client-1', 60))).toBe('key_quota');
    time.state.nowMs = START_MS + 10_000;
    expect(await store.claim(use('key-a', 'second', 'client-1', 60))).toBe('claimed');
    expect(await store.claim(use('key-a', 'second', 'client-1', 60))).toBe('replayed');
  });

  test('a use is remembered through the second its rememberUntilMs falls in, then forgotten with its quota', async () => {
    const time = clock();
    const store = createMemoryDpopReplayStore({ perKeyMax: 2, perClientMax: 2, totalMax: 2 }, time.now);
    const early = { ...use('key-a', 'early', 'client-1'), rememberUntilMs: START_MS + 3_500 };
    expect(await store.claim(early)).toBe('claimed');
    expect(await store.claim(use('key-a', 'late', 'client-1', 30))).toBe('claimed');
    time.state.nowMs = START_MS + 3_999;
    expect(await store.claim(early)).toBe('replayed');
    expect(await store.claim(use('key-a', 'third', 'client-1'))).toBe('key_quota');
    time.state.nowMs = START_MS + 4_000;
    expect(await store.claim(use('key-a', 'third', 'client-1'))).toBe('claimed');
    expect(await store.claim(use('key-a', 'late', 'client-1', 30))).toBe('replayed');
  });

  test('after a pause longer than every bucket, all expired uses are dropped at once', async () => {
    const time = clock();
    const store = createMemoryDpopReplayStore({ perKeyMax: 1_000, perClientMax: 1_000, totalMax: 1_000 }, time.now);
    for (let index = 0; index < 1_000; index += 1) {
      expect(await store.claim(use(`key-${index % 7}`, `jti-${index}`, `client-${index % 3}`, 1 + (index % 60)))).toBe('claimed');
    }
    expect(await store.claim(use('key-x', 'one-more', 'client-x'))).toBe('full');
    time.state.nowMs = START_MS + 24 * 3_600_000;
    expect(await store.claim(use('key-x', 'one-more', 'client-x'))).toBe('claimed');
    expect(await store.claim(use('key-0', 'jti-0', 'client-0'))).toBe('claimed');
  });
});
