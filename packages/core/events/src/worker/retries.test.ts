import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { Webhook } from 'standardwebhooks';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { deliveriesOf, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let worker: DeliveryWorker | undefined;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await database.drop();
});

describe('retries', () => {
  test('a receiver that fails twice then answers 200 gets the same webhook-id three times, each validly signed; attempts 1 and 2 are failed, 3 succeeded', async () => {
    const receiver = await startWebhookReceiver({ answer: (_request, index) => (index < 2 ? { status: index === 0 ? 500 : 503 } : { status: 200 }) });
    receivers.push(receiver);
    const endpoint = await registerEndpoint(database.db, 'c-retries', receiver.url);
    worker = startTestWorker(database.db, { retryScheduleMs: [300, 300, 300] });
    const eventId = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-retries', data: { id: 'tr_1', amount: '1.00' } });

    await waitFor('three requests', () => receiver.received.length >= 3);
    await waitFor('attempt 3 recorded', async () => (await deliveriesOf(database.db, endpoint.id)).some((row) => row.status === 'succeeded'));
    await worker.stop();
    worker = undefined;

    expect(receiver.received.map((request) => request.headers['webhook-id'])).toEqual([eventId, eventId, eventId]);
    const timestamps = receiver.received.map((request) => Number(request.headers['webhook-timestamp']));
    expect(timestamps.every((timestamp) => Math.abs(timestamp - Date.now() / 1_000) < 60)).toBe(true);
    for (const request of receiver.received) {
      const payload = new Webhook(endpoint.secret).verify(request.body, request.headers as Record<string, string>);
      expect(payload).toEqual({ id: eventId, type: 'transfer.completed', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        environment: 'sandbox', data: { id: 'tr_1', amount: '1.00' } });
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    }
    expect((await deliveriesOf(database.db, endpoint.id)).map(({ attempt, status, response_status, failure }) => ({ attempt, status, response_status, failure })))
      .toEqual([
        { attempt: 1, status: 'failed', response_status: 500, failure: 'HTTP 500' },
        { attempt: 2, status: 'failed', response_status: 503, failure: 'HTTP 503' },
        { attempt: 3, status: 'succeeded', response_status: 200, failure: null },
      ]);
  });

  test('after the last attempt of the schedule nothing more is queued or sent', async () => {
    const receiver = await startWebhookReceiver({ answer: () => ({ status: 500 }) });
    receivers.push(receiver);
    const endpoint = await registerEndpoint(database.db, 'c-spent', receiver.url);
    worker = startTestWorker(database.db, { retryScheduleMs: [100, 100] });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-spent', data: {} });

    await waitFor('three attempts', () => receiver.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.stop();
    worker = undefined;
    expect(receiver.received).toHaveLength(3);
    expect((await deliveriesOf(database.db, endpoint.id)).map((row) => [row.attempt, row.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'failed']]);
  });

  test('a Retry-After on 503 postpones the next attempt within [scheduled, 2 x scheduled]', async () => {
    const receiver = await startWebhookReceiver({ answer: (_request, index) => (index === 0 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }) });
    receivers.push(receiver);
    const endpoint = await registerEndpoint(database.db, 'c-retry-after', receiver.url);
    worker = startTestWorker(database.db, { retryScheduleMs: [600] });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-retry-after', data: {} });

    await waitFor('two requests', () => receiver.received.length >= 2, 5_000);
    await worker.stop();
    worker = undefined;
    const [first, second] = receiver.received;
    // Scheduled 600 ms (random 0.5: no jitter); asked for an hour, clamped to 1,200 ms.
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(1_150);
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeLessThan(2_500);
    expect((await deliveriesOf(database.db, endpoint.id)).map((row) => row.status)).toEqual(['failed', 'succeeded']);
  });
});
