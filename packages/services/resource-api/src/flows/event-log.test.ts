import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as client from 'openid-client';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

// GET /v1/events… and redelivery (docs/webhooks.md, "Catching up"): a client's own events of the
// last 30 days, in the wire shape, newest first.

let api: TestApi;
let alice: Alice;
let bob: Alice;
/** Alice's app: it pays, and as a client it reads its events. */
let payer: Connection;
/** The same app's client-credentials token with webhooks:manage. */
let payerClientToken: string;
let keyCounter = 0;

async function pay(amount: string): Promise<{ id: string }> {
  const answer = await call(api, 'POST', '/v1/transfers', {
    token: payer.accessToken, headers: { 'idempotency-key': `event-log-${process.pid}-${(keyCounter += 1)}` },
    json: { source_account_id: alice.accounts[0]!.id, destination_account_id: bob.accounts[0]!.id, amount, currency: 'CNY' },
  });
  expect(answer.status).toBe(201);
  return answer.body as { id: string };
}

const events = (query = ''): ReturnType<typeof call> => call(api, 'GET', `/v1/events${query}`, { token: payerClientToken });

beforeAll(async () => {
  api = await startTestApi((config) => ({ ...config, environment: 'live' }));
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  payer = await connect(api, alice, { accountIds: [alice.accounts[0]!.id], scope: 'openid transfers:write' });
  payerClientToken = (await client.clientCredentialsGrant(payer.clientConfig, { scope: 'webhooks:manage' })).access_token;
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

describe('the event log', () => {
  test('shows transfer.completed with the Transfer as the API answers it, in the configured environment', async () => {
    const transfer = await pay('3.21');
    const listed = await events('?type=transfer.completed&limit=1');
    expect(listed.status).toBe(200);
    const [event] = listed.body.data as Array<{ id: string; data: unknown }>;
    expect(event).toEqual({ id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), type: 'transfer.completed', created_at: expect.stringMatching(/Z$/), environment: 'live', data: transfer });
    const one = await call(api, 'GET', `/v1/events/${event!.id}`, { token: payerClientToken });
    expect(one.body).toEqual(event);
  });

  test('pages newest first with next_cursor, and filters by type', async () => {
    const made = [await pay('1.01'), await pay('1.02'), await pay('1.03')];
    const first = await events('?type=transfer.completed&limit=2');
    expect(first.body.data.map((event: { data: { id: string } }) => event.data.id)).toEqual([made[2]!.id, made[1]!.id]);
    const second = await events(`?type=transfer.completed&limit=2&cursor=${first.body.next_cursor as string}`);
    expect(second.body.data[0].data.id).toBe(made[0]!.id);
    expect((await events('?type=grant.revoked')).body).toEqual({ data: [], next_cursor: null });
  });

  test('hides events older than 30 days, in the list and one by one', async () => {
    // Events are append-only (a trigger refuses UPDATE): write one as it would have been 30 days ago.
    const { rows } = await api.auth.database.db.raw<{ rows: Array<{ id: string }> }>(
      `INSERT INTO events.events (id, type, client_id, data, created_at)
       VALUES (events.new_id('evt'), 'webhook.test', ?, '{}', now() - interval '30 days 1 minute') RETURNING id`, [payer.registered.client_id]);
    const old = rows[0] as { id: string };
    expect((await events('?limit=100')).body.data.map((event: { id: string }) => event.id)).not.toContain(old.id);
    const one = await call(api, 'GET', `/v1/events/${old.id}`, { token: payerClientToken });
    expect([one.status, one.body.code]).toEqual([404, 'event_not_found']);
    const again = await call(api, 'POST', `/v1/events/${old.id}/redeliver`, { token: payerClientToken });
    expect([again.status, again.body.code]).toEqual([404, 'event_not_found']);
  });

  test.each(['limit=0', 'limit=101', 'limit=+5', 'type=transfer.created', 'type=', 'cursor=%21%21', 'since=2026-01-01T00:00:00Z'])(
    'GET /v1/events?%s is 400 invalid_request', async (query) => {
      const answer = await events(`?${query}`);
      expect([answer.status, answer.body.code]).toEqual([400, 'invalid_request']);
    });

  test('an event id that cannot exist is 404 event_not_found', async () => {
    for (const id of ['evt_00000000000000000000000000000000', 'evt_x', 'tr_0c1d2e3f405162738495a6b7c8d9e0f1']) {
      const answer = await call(api, 'GET', `/v1/events/${id}`, { token: payerClientToken });
      expect([answer.status, answer.body.code]).toEqual([404, 'event_not_found']);
    }
  });
});

describe('redelivery', () => {
  test('queues a new attempt to each enabled endpoint subscribed to the type: none, then one', async () => {
    await pay('1.05');
    const [event] = (await events('?type=transfer.completed&limit=1')).body.data as Array<{ id: string }>;
    const none = await call(api, 'POST', `/v1/events/${event!.id}/redeliver`, { token: payerClientToken });
    expect([none.status, none.body]).toEqual([202, { event_id: event!.id, attempts_queued: 0 }]);
    const { body: endpoint } = await call(api, 'POST', '/v1/webhook-endpoints', {
      token: payerClientToken, json: { url: 'https://8.8.8.8/hooks', event_types: ['transfer.completed'] },
    });
    const queued = await call(api, 'POST', `/v1/events/${event!.id}/redeliver`, { token: payerClientToken });
    expect([queued.status, queued.body]).toEqual([202, { event_id: event!.id, attempts_queued: 1 }]);
    const deliveries = await call(api, 'GET', `/v1/webhook-endpoints/${endpoint.id as string}/deliveries`, { token: payerClientToken });
    expect(deliveries.body.data).toEqual([expect.objectContaining({ event_id: event!.id, event_type: 'transfer.completed', attempt: 1, status: 'pending' })]);
  });
});
