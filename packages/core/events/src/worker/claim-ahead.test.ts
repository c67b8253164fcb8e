import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { migrateEvents } from '../migrations.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { deliveriesOf, receiversOfThisFile, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterAll(async () => {
  await database.drop();
});

const receiver = receiversOfThisFile();

async function appendMany(clientId: string, count: number): Promise<void> {
  await database.db.raw(`SELECT events.append('transfer.completed', ?, jsonb_build_object('index', i)) FROM generate_series(1, ?) i`, [clientId, count]);
}

/** Statements the worker's own pool ran, by kind, while `run` ran. */
async function countStatements(db: Knex, run: () => Promise<void>): Promise<{ claims: number; successes: number; all: number }> {
  const counts = { claims: 0, successes: 0, all: 0 };
  const listener = (query: { sql: string }): void => {
    counts.all += 1;
    if (query.sql.includes('WITH due AS')) counts.claims += 1;
    if (query.sql.includes('WITH outcome AS')) counts.successes += 1;
  };
  db.on('query', listener);
  try {
    await run();
  } finally {
    db.off('query', listener);
  }
  return counts;
}

function distinct(receiver: WebhookReceiver): number {
  return new Set(receiver.received.map((request) => request.headers['webhook-id'])).size;
}

describe('claiming ahead and recording in batches', () => {
  test('a fast endpoint costs far fewer statements than deliveries, each event sent once', async () => {
    const fast = await receiver({});
    const endpoint = await registerEndpoint(database.db, 'c-batches', fast.url);
    const pool = createDatabase({ url: database.url, poolMax: 4, applicationName: 'payapi-test-batches' });
    let worker: DeliveryWorker | undefined;
    try {
      const counts = await countStatements(pool, async () => {
        // The backlog first: events appended while the worker runs would arrive as fast as this
        // process can append them, so the batch sizes would measure the machine's load, not the worker.
        await appendMany('c-batches', 400);
        worker = startTestWorker(pool);
        await waitFor('every success recorded', async () => (await deliveriesOf(database.db, endpoint.id)).every((row) => row.status === 'succeeded'), 20_000);
        await worker.stop();
        worker = undefined;
      });
      expect(fast.received).toHaveLength(400);
      expect(distinct(fast)).toBe(400);
      // One statement claims many attempts, one records many successes. Without batching it would be
      // at least one statement per delivery (400); batches hold fewer when the machine is busy
      // (under 100 on an idle machine, 113-116 with both cores busy with other work), so the bound is
      // half the deliveries: it fails for any per-delivery statement, not for a slow machine.
      expect(counts.claims + counts.successes).toBeLessThan(400 / 2);
      expect(counts.successes).toBeGreaterThan(0);
    } finally {
      await worker?.stop();
      await pool.destroy();
    }
  }, 30_000);

  test('an endpoint that slows down keeps to its slots; what waited too long is given back unsent, then sent once', async () => {
    // Fast for 60 answers (it earns claim-ahead), then 700 ms each.
    const slowing = await receiver({ answer: (_request, index) => ({ status: 200, delayMs: index < 60 ? 0 : 700 }) });
    const endpoint = await registerEndpoint(database.db, 'c-slowing', slowing.url);
    const worker = startTestWorker(database.db, { queueWaitMaxMs: 300 });
    try {
      await appendMany('c-slowing', 60);
      await waitFor('the fast answers', () => slowing.received.length >= 60);
      await appendMany('c-slowing', 40);
      await waitFor('every success recorded', async () => (await deliveriesOf(database.db, endpoint.id)).every((row) => row.status === 'succeeded'), 20_000);
    } finally {
      await worker.stop();
    }
    expect(slowing.concurrentMax()).toBeLessThanOrEqual(4);
    expect(slowing.received).toHaveLength(100);
    expect(distinct(slowing)).toBe(100);
    expect((await deliveriesOf(database.db, endpoint.id)).map((row) => row.attempt)).toEqual(Array.from({ length: 100 }, () => 1));
  }, 30_000);

  test('stop() gives back the attempts waiting for a slot (pending again, unsent) and records those in flight', async () => {
    const slowing = await receiver({ answer: (_request, index) => ({ status: 200, delayMs: index < 40 ? 0 : 500 }) });
    const endpoint = await registerEndpoint(database.db, 'c-stopping', slowing.url);
    const worker = startTestWorker(database.db);
    try {
      await appendMany('c-stopping', 40);
      await waitFor('the fast answers', () => slowing.received.length >= 40);
      await appendMany('c-stopping', 30);
      await waitFor('attempts claimed ahead of the slots', async () => (await deliveriesOf(database.db, endpoint.id)).filter((row) => row.status === 'sending').length > 4);
    } finally {
      await worker.stop();
    }
    const rows = await deliveriesOf(database.db, endpoint.id);
    expect(rows.filter((row) => row.status === 'sending')).toEqual([]);
    expect(rows.filter((row) => row.status === 'pending').length).toBeGreaterThan(0);
    expect(rows.filter((row) => row.status === 'succeeded')).toHaveLength(slowing.received.length);
  }, 20_000);
});
