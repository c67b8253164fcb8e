import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { TEST_EVENTS_PER_MINUTE_MAX, redeliverEvent, sendTestEvent } from './deliveries.ts';
import { createEndpoint } from './endpoints.ts';
import { appendEvent } from './event-log.ts';
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

const attemptsOf = async (eventId: string): Promise<Array<{ endpoint_id: string; attempt: number }>> => (await database.db.raw<{ rows: Array<{ endpoint_id: string; attempt: number }> }>(
  'SELECT endpoint_id, attempt FROM events.deliveries WHERE event_id = ? ORDER BY endpoint_id, attempt', [eventId])).rows;

describe('redelivering an event (security review of the webhooks)', () => {
  test('30 parallel redeliveries queue at most one waiting attempt per endpoint, and none fails', async () => {
    const { endpoint } = await createEndpoint(database.db, deps, { clientId: 'c-redeliver', url: 'http://127.0.0.1:9/r', eventTypes: ['transfer.completed'] });
    const eventId = await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-redeliver', data: {} });
    await database.db.raw(`UPDATE events.deliveries SET status = 'succeeded' WHERE event_id = ?`, [eventId]);
    const queued = await Promise.all(Array.from({ length: 30 }, () => redeliverEvent(database.db, 'c-redeliver', eventId)));
    expect(queued.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await attemptsOf(eventId)).toEqual([{ endpoint_id: endpoint.id, attempt: 1 }, { endpoint_id: endpoint.id, attempt: 2 }]);
  });

  test('a webhook.test event goes again only to the endpoint it was sent to', async () => {
    const asked = await createEndpoint(database.db, deps, { clientId: 'c-test-only', url: 'http://127.0.0.1:9/a', eventTypes: ['webhook.test'] });
    const other = await createEndpoint(database.db, deps, { clientId: 'c-test-only', url: 'http://127.0.0.1:9/b', eventTypes: ['webhook.test'] });
    const eventId = await sendTestEvent(database.db, 'c-test-only', asked.endpoint.id);
    await database.db.raw(`UPDATE events.deliveries SET status = 'succeeded' WHERE event_id = ?`, [eventId]);
    expect(await redeliverEvent(database.db, 'c-test-only', eventId)).toBe(1);
    expect((await attemptsOf(eventId)).map((row) => row.endpoint_id)).not.toContain(other.endpoint.id);
  });
});

describe('test events', () => {
  test(`at most ${TEST_EVENTS_PER_MINUTE_MAX} a minute per client, also in parallel; then rate_limited`, async () => {
    const { endpoint } = await createEndpoint(database.db, deps, { clientId: 'c-flood', url: 'http://127.0.0.1:9/f', eventTypes: ['transfer.completed'] });
    const results = await Promise.allSettled(Array.from({ length: 15 }, () => sendTestEvent(database.db, 'c-flood', endpoint.id)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(TEST_EVENTS_PER_MINUTE_MAX);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'rate_limited' });
  });
});
