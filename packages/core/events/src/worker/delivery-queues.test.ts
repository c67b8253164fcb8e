import { describe, expect, test } from '@jest/globals';
import type { ClaimedDelivery } from './claim.ts';
import { CLAIM_AHEAD_WINDOW_MS, DeliveryQueues } from './delivery-queues.ts';
import { DELIVERY_LIMITS_DEFAULT, claimDepth } from './settings.ts';

const LIMITS = { concurrencyPerEndpoint: 2, concurrencyTotal: 5, depthPerEndpoint: 6, queueWaitMaxMs: 1_000 };

let next = 0;
function attempt(endpointId: string, clientId = 'c'): ClaimedDelivery {
  next += 1;
  return {
    id: `dlv_${next}`, endpointId, attempt: 1, leaseUntil: '2026-12-06 12:00:00+00', url: 'https://example.com/hooks', secretSealed: 's', previousSecretSealed: null,
    event: { id: `evt_${next}`, type: 'transfer.completed', clientId, data: {}, createdAt: '2026-12-06T12:00:00.000000Z' },
  };
}

/** Takes every attempt that may start now, as the worker does. */
function startAll(queues: DeliveryQueues, nowMs: number): ClaimedDelivery[] {
  const started: ClaimedDelivery[] = [];
  for (let one = queues.next(nowMs); one; one = queues.next(nowMs)) started.push(one);
  return started;
}

describe('claimDepth', () => {
  test('claims ahead with the default lease (60 s), and not with the shortest one (20 s: no room for a wait)', () => {
    expect(claimDepth(DELIVERY_LIMITS_DEFAULT)).toBe(64);
    expect(claimDepth({ ...DELIVERY_LIMITS_DEFAULT, leaseMs: 20_000 })).toBe(DELIVERY_LIMITS_DEFAULT.concurrencyPerEndpoint);
    // The lease must cover the wait for a slot, the timeout and the 5 s margin.
    expect(claimDepth({ ...DELIVERY_LIMITS_DEFAULT, leaseMs: 21_999 })).toBe(4);
    expect(claimDepth({ ...DELIVERY_LIMITS_DEFAULT, leaseMs: 22_000 })).toBe(64);
  });
});

describe('DeliveryQueues', () => {
  test('an endpoint is claimed ahead only as far as it answered with success lately, up to the depth', () => {
    const queues = new DeliveryQueues(LIMITS);
    expect(queues.roomDefault).toBe(2);
    expect(queues.room(0)).toEqual(new Map());
    queues.add([attempt('we_a'), attempt('we_a')], 0, new Map());
    expect(queues.room(0)).toEqual(new Map([['we_a', 0]]));
    startAll(queues, 0);
    queues.finish('we_a', 10);
    queues.finish('we_a', 20);
    expect(queues.room(30)).toEqual(new Map([['we_a', 4]]));
    for (let index = 0; index < 10; index += 1) {
      queues.add([attempt('we_a')], 40, new Map());
      startAll(queues, 40);
      queues.finish('we_a', 40);
    }
    expect(queues.room(50)).toEqual(new Map([['we_a', 6]]));
    // Its successes age out: back to what its slots take.
    expect(queues.room(40 + CLAIM_AHEAD_WINDOW_MS + 1)).toEqual(new Map());
  });

  test('starts at most the slots of each endpoint and of the worker, endpoints in turn', () => {
    const queues = new DeliveryQueues(LIMITS);
    const filled = queues.add([...['a', 'a', 'a', 'a'].map((id) => attempt(`we_${id}`)), attempt('we_b'), attempt('we_b'), attempt('we_c')], 0, new Map());
    expect(filled).toBe(true);
    expect(startAll(queues, 0).map((one) => one.endpointId)).toEqual(['we_a', 'we_b', 'we_c', 'we_a', 'we_b']);
    expect(queues.slotsFree).toBe(0);
    queues.finish('we_c');
    expect(startAll(queues, 0).map((one) => one.endpointId)).toEqual([]); // we_a has 2 in flight
    queues.finish('we_a');
    expect(startAll(queues, 0).map((one) => one.endpointId)).toEqual(['we_a']);
  });

  test('sets aside what waited longer than queueWaitMaxMs, and holds back a paused endpoint', () => {
    const queues = new DeliveryQueues(LIMITS);
    queues.add([attempt('we_a'), attempt('we_a'), attempt('we_a'), attempt('we_a')], 0, new Map([['we_a', 6]]));
    expect(startAll(queues, 0)).toHaveLength(2);
    queues.pause('we_a');
    queues.finish('we_a');
    expect(startAll(queues, 10)).toEqual([]);
    queues.resume('we_a');
    queues.finish('we_a');
    expect(startAll(queues, 1_001)).toEqual([]);
    expect(queues.takeStale()).toHaveLength(2);
    expect(queues.heldFree).toBe(3 * 6);
  });

  test('takeQueued removes what waits, of one endpoint or all, and leaves what is in flight', () => {
    const queues = new DeliveryQueues(LIMITS);
    queues.add([attempt('we_a'), attempt('we_a'), attempt('we_a'), attempt('we_b'), attempt('we_b'), attempt('we_b')], 0, new Map([['we_a', 6], ['we_b', 6]]));
    startAll(queues, 0);
    expect(queues.takeQueued('we_a').map((one) => one.endpointId)).toEqual(['we_a']);
    expect(queues.takeQueued().map((one) => one.endpointId)).toEqual(['we_b']);
    expect(queues.room(0)).toEqual(new Map([['we_a', 0], ['we_b', 0]]));
    expect(queues.heldFree).toBe(3 * 6 - 4);
  });

  test('security review of the webhooks: one client\'s endpoints together take at most its share of the slots, the others stay free', () => {
    const queues = new DeliveryQueues({ ...LIMITS, concurrencyTotal: 6, concurrencyPerClient: 3 });
    const hog = ['we_h1', 'we_h1', 'we_h2', 'we_h2', 'we_h3', 'we_h3'].map((id) => attempt(id, 'hog'));
    queues.add([...hog, attempt('we_other', 'other')], 0, new Map());
    const started = startAll(queues, 0);
    expect(started.filter((one) => one.event.clientId === 'hog')).toHaveLength(3);
    expect(started.filter((one) => one.event.clientId === 'other')).toHaveLength(1);
    expect(queues.slotsFree).toBe(2);
    queues.finish('we_h1');
    expect(startAll(queues, 0).map((one) => one.event.clientId)).toEqual(['hog']);
  });
});
