import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { startWebhookReceiver } from '../testing/index.ts';
import type { WebhookReceiver } from '../testing/index.ts';
import { registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

const EVENTS = 300;
const ENDPOINTS = 3;

let database: TestDatabase;
let secondPool: Knex;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
  secondPool = createDatabase({ url: database.url, poolMax: 10, applicationName: 'payapi-test-worker-2' });
});
afterAll(async () => {
  await secondPool.destroy();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await database.drop();
});

describe('two workers on one database', () => {
  test('send each attempt exactly once, and both take part', async () => {
    for (let index = 0; index < ENDPOINTS; index += 1) {
      // A few milliseconds per answer, so claims and sends of the two workers overlap.
      const receiver = await startWebhookReceiver({ answer: () => ({ status: 200, delayMs: 2 }) });
      receivers.push(receiver);
      await registerEndpoint(database.db, 'c-shared', receiver.url);
    }
    // Half the events wait before the workers start (both claim from one backlog at once), half arrive while they run.
    const ids: string[] = [];
    const append = async (count: number): Promise<void> => {
      for (let index = 0; index < count; index += 1) {
        ids.push(await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-shared', data: { index: ids.length } }));
      }
    };
    await append(EVENTS / 2);
    // The two workers are told apart by the environment they stamp on events.
    // Timeout and lease far above any answer time even on a loaded machine: a send that timed out is
    // retried (at least once, by design), which would hide or fake what this test is about, two
    // workers claiming one attempt.
    const patient = { concurrencyPerEndpoint: 4, timeoutMs: 20_000, leaseMs: 60_000 };
    const workers = [
      startTestWorker(database.db, { ...patient, environment: 'sandbox' }),
      startTestWorker(secondPool, { ...patient, environment: 'live' }),
    ];
    try {
      await append(EVENTS / 2);
      await waitFor('every delivery recorded', async () => {
        const { rows } = await database.db.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM events.deliveries WHERE status = 'succeeded'`);
        return rows[0]?.n === EVENTS * ENDPOINTS;
      }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));

      for (const receiver of receivers) {
        const received = receiver.received.map((request) => request.headers['webhook-id']);
        expect(received).toHaveLength(EVENTS);
        expect(new Set(received)).toEqual(new Set(ids));
      }
      const { rows } = await database.db.raw<{ rows: Array<{ attempts: number; statuses: string }> }>(
        `SELECT count(*)::int AS attempts, string_agg(DISTINCT status, ',') AS statuses FROM events.deliveries`);
      expect(rows[0]).toEqual({ attempts: EVENTS * ENDPOINTS, statuses: 'succeeded' });
      const byWorker = new Map<string, number>();
      for (const request of receivers.flatMap((receiver) => receiver.received)) {
        const { environment } = JSON.parse(request.body) as { environment: string };
        byWorker.set(environment, (byWorker.get(environment) ?? 0) + 1);
      }
      expect(byWorker.get('sandbox')).toBeGreaterThan(0);
      expect(byWorker.get('live')).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  }, 60_000);
});
