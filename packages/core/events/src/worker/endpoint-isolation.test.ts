import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { DELIVERY_LIMITS_DEFAULT } from './settings.ts';
import { deliveriesOf, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let worker: DeliveryWorker;
let slow: WebhookReceiver;
let fast: WebhookReceiver;

const TIMEOUT_MS = 3_000;
/** An endpoint's slots in a worker (docs/webhooks.md, "Delivery"). */
const SLOTS = DELIVERY_LIMITS_DEFAULT.concurrencyPerEndpoint;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
  slow = await startWebhookReceiver({ answer: () => ({ status: 200, delayMs: 'hang' }) });
  fast = await startWebhookReceiver();
  worker = startTestWorker(database.db, { timeoutMs: TIMEOUT_MS, leaseMs: TIMEOUT_MS + 5_000, retryScheduleMs: [] });
});
afterAll(async () => {
  await worker.stop();
  await Promise.all([slow.close(), fast.close()]);
  await database.drop();
});

describe('an endpoint that never answers', () => {
  test('holds its slots and delays no other endpoint; its attempts fail after the timeout', async () => {
    const hanging = await registerEndpoint(database.db, 'c-slow', slow.url);
    const quick = await registerEndpoint(database.db, 'c-fast', fast.url);
    for (let index = 0; index < 10; index += 1) await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-slow', data: { index } });
    await waitFor('the slow endpoint holding its slots', () => slow.received.length >= SLOTS);

    const sentAt = performance.now();
    const fastIds: string[] = [];
    for (let index = 0; index < 20; index += 1) fastIds.push(await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-fast', data: { index } }));
    await waitFor('every fast delivery', () => fast.received.length >= 20, 5_000);
    const fastDoneMs = performance.now() - sentAt;

    // The fast endpoint was served while the slow one still hung (well within its 3 s timeout).
    expect(fastDoneMs).toBeLessThan(1_500);
    expect(slow.received).toHaveLength(SLOTS);
    expect(slow.concurrentMax()).toBe(SLOTS);
    expect(new Set(fast.received.map((request) => request.headers['webhook-id']))).toEqual(new Set(fastIds));
    await waitFor('the fast deliveries recorded', async () => (await deliveriesOf(database.db, quick.id)).every((row) => row.status === 'succeeded'));

    await waitFor('the first slow attempts failed', async () => (await deliveriesOf(database.db, hanging.id)).filter((row) => row.status === 'failed').length >= 2, TIMEOUT_MS + 3_000);
    const failed = (await deliveriesOf(database.db, hanging.id)).filter((row) => row.status === 'failed');
    expect(failed[0]).toMatchObject({ response_status: null, failure: `no response within ${TIMEOUT_MS} ms` });
    expect(failed[0]?.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(failed[0]?.duration_ms).toBeLessThan(TIMEOUT_MS + 1_000);
  }, 20_000);
});

describe('an endpoint with a backlog of due attempts', () => {
  test("does not hide another endpoint's attempt queued after the backlog", async () => {
    const busy = await startWebhookReceiver({ answer: () => ({ status: 200, delayMs: 50 }) });
    const idle = await startWebhookReceiver();
    try {
      await registerEndpoint(database.db, 'c-backlog', busy.url);
      await registerEndpoint(database.db, 'c-behind', idle.url);
      await database.db.raw(`SELECT events.append('transfer.completed', 'c-backlog', jsonb_build_object('index', i)) FROM generate_series(1, 2000) i`);
      await waitFor('the backlog being served', () => busy.received.length >= 4);
      const sentAt = performance.now();
      await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-behind', data: {} });
      await waitFor('the attempt behind the backlog', () => idle.received.length === 1, 2_000);
      expect(performance.now() - sentAt).toBeLessThan(1_000);
      // 4 in flight at 50 ms each: the backlog is far from served.
      expect(busy.received.length).toBeLessThan(200);
    } finally {
      await Promise.all([busy.close(), idle.close()]);
    }
  });
});

