import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { createEndpoint } from './endpoints.ts';
import { appendEvent, getClientEvent, listClientEvents, purgeExpiredEvents } from './event-log.ts';
import { migrateEvents } from './migrations.ts';
import { createSecretBox } from './secrets.ts';

let database: TestDatabase;
const deps = { secrets: createSecretBox('events-tests-secret-0123456789abcdef'), urlPolicy: { allowPrivateNetworks: true } };

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterAll(async () => {
  await database.drop();
});

describe('the event log is append-only', () => {
  test('an UPDATE, a DELETE of a recent event and a TRUNCATE are refused by the database', async () => {
    const id = await appendEvent(database.db, { type: 'webhook.test', clientId: 'c-append-only', data: {} });
    await expect(database.db.raw(`UPDATE events.events SET data = '{"forged": true}' WHERE id = ?`, [id])).rejects.toThrow(/append-only/);
    await expect(database.db.raw('DELETE FROM events.events WHERE id = ?', [id])).rejects.toThrow(/append-only/);
    await expect(database.db.raw('TRUNCATE events.events CASCADE')).rejects.toThrow(/append-only/);
    expect((await getClientEvent(database.db, 'c-append-only', id)).data).toEqual({});
  });

  test('the retention purge deletes only events older than the retention, never less than 30 days', async () => {
    await database.db.raw(`INSERT INTO events.events (id, type, client_id, data, created_at)
      VALUES (events.new_id('evt'), 'webhook.test', 'c-purge', '{}', now() - interval '401 days'),
             (events.new_id('evt'), 'webhook.test', 'c-purge', '{}', now() - interval '40 days')`);
    await expect(purgeExpiredEvents(database.db, 29)).rejects.toThrow(/at least 30 days/);
    expect(await purgeExpiredEvents(database.db, 400)).toBe(1);
    const { rows } = await database.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM events.events WHERE client_id = 'c-purge'`);
    expect(rows).toHaveLength(1);
    expect(await purgeExpiredEvents(database.db, 30)).toBe(1);
  });
});

describe('appending', () => {
  test('queues a first attempt for each enabled endpoint of the client subscribed to the type, and for no other', async () => {
    const subscribed = await createEndpoint(database.db, deps, { clientId: 'c-fanout', url: 'http://127.0.0.1:9/a', eventTypes: ['transfer.completed'] });
    const other = await createEndpoint(database.db, deps, { clientId: 'c-fanout', url: 'http://127.0.0.1:9/b', eventTypes: ['grant.revoked'] });
    const elsewhere = await createEndpoint(database.db, deps, { clientId: 'c-other', url: 'http://127.0.0.1:9/c', eventTypes: ['transfer.completed'] });
    const id = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-fanout', data: { id: 'tr_x' } });
    const { rows } = await database.db.raw<{ rows: Array<{ endpoint_id: string; attempt: number; status: string }> }>(
      'SELECT endpoint_id, attempt, status FROM events.deliveries WHERE event_id = ?', [id]);
    expect(rows).toEqual([{ endpoint_id: subscribed.endpoint.id, attempt: 1, status: 'pending' }]);
    expect([other.endpoint.id, elsewhere.endpoint.id]).not.toContain(rows[0]?.endpoint_id);
  });

  test('a rolled-back transaction leaves neither the event nor its delivery', async () => {
    await expect(database.db.transaction(async (trx) => {
      await appendEvent(trx, { type: 'transfer.completed', clientId: 'c-rollback', data: {} });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect((await listClientEvents(database.db, { clientId: 'c-rollback' })).data).toEqual([]);
  });
});

describe("a client's event log", () => {
  test('pages newest first with no gap or duplicate, filters by type, and never shows another client\'s events', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      ids.push(await appendEvent(database.db, { type: index % 2 === 0 ? 'transfer.completed' : 'grant.revoked', clientId: 'c-log', data: { index } }));
    }
    const foreign = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-log-other', data: {} });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listClientEvents(database.db, { clientId: 'c-log', limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((event) => event.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const completed = await listClientEvents(database.db, { clientId: 'c-log', type: 'transfer.completed', limit: 100 });
    expect(completed.data.map((event) => event.id)).toEqual([ids[6], ids[4], ids[2], ids[0]]);
    await expect(getClientEvent(database.db, 'c-log', foreign)).rejects.toMatchObject({ code: 'event_not_found' });
    await expect(listClientEvents(database.db, { clientId: 'c-log', type: 'nope.nope' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(listClientEvents(database.db, { clientId: 'c-log', cursor: 'bogus' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('security review of the webhooks: cursors', () => {
  test.each(['2026-13-45T25:61:61.000000Z', '0000-01-01T00:00:00.000000Z', '2026-12-31T23:59:60.000000Z', '2026-02-30T00:00:00.000000Z'])(
    'a cursor naming the impossible instant %s is invalid_request, not a database error', async (instant) => {
      const cursor = Buffer.from(JSON.stringify([instant, `evt_${'0'.repeat(32)}`])).toString('base64url');
      await expect(listClientEvents(database.db, { clientId: 'c-cursor', cursor })).rejects.toMatchObject({ code: 'invalid_request' });
    });
});
