import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { updateEndpoint } from '../endpoints.ts';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { deliveriesOf, endpointState, receiversOfThisFile, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let worker: DeliveryWorker | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(async () => {
  await database.drop();
});

const receiver = receiversOfThisFile();

describe('410 Gone', () => {
  test('disables the endpoint at once (gone), fails its queued attempts and nothing more is sent to it', async () => {
    const gone = await receiver({ answer: () => ({ status: 410 }) });
    const endpoint = await registerEndpoint(database.db, 'c-gone', gone.url);
    // Three events queued before the worker runs: the first attempt answers 410, the rest must not go out.
    for (let index = 0; index < 3; index += 1) await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-gone', data: { index } });
    worker = startTestWorker(database.db, { concurrencyPerEndpoint: 1 });

    await waitFor('the endpoint disabled', async () => (await endpointState(database.db, endpoint.id)).status === 'disabled');
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-gone', data: { after: true } });
    await sleep(500);

    expect(await endpointState(database.db, endpoint.id)).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    expect(gone.received).toHaveLength(1);
    const rows = await deliveriesOf(database.db, endpoint.id);
    expect(rows.filter((row) => row.response_status === 410)).toHaveLength(1);
    expect(rows.filter((row) => row.status !== 'failed')).toEqual([]);
    expect(rows.filter((row) => row.response_status === null).map((row) => row.failure)).toEqual(['endpoint disabled', 'endpoint disabled']);
  });
});

describe('an endpoint failing without a break', () => {
  test('is disabled (failing) once its failures have lasted the period (5 days; 1.5 s here), and then gets nothing', async () => {
    const down = await receiver({ answer: () => ({ status: 500 }) });
    const endpoint = await registerEndpoint(database.db, 'c-failing', down.url);
    worker = startTestWorker(database.db, { retryScheduleMs: Array.from({ length: 20 }, () => 250), failingDisableAfterMs: 1_500 });
    const startedAt = performance.now();
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-failing', data: {} });

    await waitFor('failing_since set', async () => (await endpointState(database.db, endpoint.id)).failing_since !== null);
    expect((await endpointState(database.db, endpoint.id)).status).toBe('enabled');
    await waitFor('the endpoint disabled', async () => (await endpointState(database.db, endpoint.id)).status === 'disabled', 8_000);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1_500);
    expect(await endpointState(database.db, endpoint.id)).toMatchObject({ disabled_reason: 'failing' });
    const attempts = down.received.length;
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-failing', data: {} });
    await sleep(600);
    expect(down.received).toHaveLength(attempts);
    expect((await deliveriesOf(database.db, endpoint.id)).filter((row) => row.status === 'pending' || row.status === 'sending')).toEqual([]);
  });

  test('with the default period, a failure 5 days after the first one disables the endpoint', async () => {
    const down = await receiver({ answer: () => ({ status: 502 }) });
    const endpoint = await registerEndpoint(database.db, 'c-five-days', down.url);
    await database.db.raw(`UPDATE events.webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = ?`, [endpoint.id]);
    worker = startTestWorker(database.db, { failingDisableAfterMs: 5 * 24 * 60 * 60 * 1_000 });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-five-days', data: {} });
    await waitFor('the endpoint disabled', async () => (await endpointState(database.db, endpoint.id)).status === 'disabled');
    expect(await endpointState(database.db, endpoint.id)).toMatchObject({ disabled_reason: 'failing' });
  });

  test('a success ends the run of failures (failing_since is cleared)', async () => {
    const flaky = await receiver({ answer: (_request, index) => ({ status: index === 0 ? 500 : 204 }) });
    const endpoint = await registerEndpoint(database.db, 'c-recovers', flaky.url);
    worker = startTestWorker(database.db);
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-recovers', data: {} });
    await waitFor('failing_since set', async () => (await endpointState(database.db, endpoint.id)).failing_since !== null);
    await waitFor('failing_since cleared', async () => (await endpointState(database.db, endpoint.id)).failing_since === null);
    expect(await endpointState(database.db, endpoint.id)).toMatchObject({ status: 'enabled', disabled_reason: null });
  });
});

describe('an endpoint disabled by its owner', () => {
  test('gets none of its queued attempts: they end failed with "endpoint disabled"', async () => {
    const unused = await receiver({});
    const endpoint = await registerEndpoint(database.db, 'c-paused', unused.url);
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-paused', data: {} });
    await updateEndpoint(database.db, { urlPolicy: { allowPrivateNetworks: true } }, 'c-paused', endpoint.id, { status: 'disabled' });
    worker = startTestWorker(database.db);
    await waitFor('the attempt failed', async () => (await deliveriesOf(database.db, endpoint.id))[0]?.status === 'failed');
    expect(await deliveriesOf(database.db, endpoint.id)).toMatchObject([{ attempt: 1, status: 'failed', failure: 'endpoint disabled', response_status: null }]);
    expect(unused.connections()).toBe(0);
  });
});
