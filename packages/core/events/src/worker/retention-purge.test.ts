import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterAll(async () => {
  await database.drop();
});

async function insertOldEvents(clientId: string, count: number, ageDays: number): Promise<void> {
  await database.db.raw(`INSERT INTO events.events (id, type, client_id, data, created_at)
    SELECT events.new_id('evt'), 'webhook.test', ?, '{}', now() - make_interval(days => ?) FROM generate_series(1, ?)`, [clientId, ageDays, count]);
}

async function eventsOf(clientId: string): Promise<number> {
  const { rows } = await database.db.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM events.events WHERE client_id = ?', [clientId]);
  return rows[0]?.n ?? 0;
}

describe('the retention purge', () => {
  test('deletes events older than EVENTS_RETENTION_DAYS at start and then at every interval, in batches, and keeps younger ones', async () => {
    await insertOldEvents('c-expired', 2_500, 401);
    await insertOldEvents('c-kept', 3, 399);
    await appendEvent(database.db, { type: 'webhook.test', clientId: 'c-kept', data: {} });
    const worker = startTestWorker(database.db, { retentionDays: 400, retentionIntervalMs: 300 });
    try {
      await waitFor('the expired events deleted at start', async () => (await eventsOf('c-expired')) === 0);
      await insertOldEvents('c-expired-later', 2, 500);
      await waitFor('the next run', async () => (await eventsOf('c-expired-later')) === 0, 3_000);
      expect(await eventsOf('c-kept')).toBe(4);
    } finally {
      await worker.stop();
    }
  });
});
