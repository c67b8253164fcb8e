import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents } from '@payapi/events';
import type { StoredEvent } from '@payapi/events';
import * as client from 'openid-client';
import { authorize, exchange } from '@payapi/auth-server/testing';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

// Events appended in the transaction that books a transfer (docs/webhooks.md): who gets which, with
// exactly the API's shapes, and nothing for what did not happen.

let api: TestApi;
let alice: Alice;
let bob: Alice;
/** Alice's app that pays: transfers:write on her current account. */
let payer: Connection;
/** Another app of Alice's, reading her current account's history. */
let aliceReader: Connection;
/** An app of Bob's, reading his current account's history (the destination). */
let bobReader: Connection;
/** An app of Bob's without transactions:read. */
let bobBalanceOnly: Connection;
let keyCounter = 0;

const eventsOf = async (clientId: string, type?: string): Promise<StoredEvent[]> =>
  listAuditEvents(api.db, { clientId, ...(type ? { type } : {}), limit: 1000 });

async function pay(amount: string, key = `events-${process.pid}-${(keyCounter += 1)}`): ReturnType<typeof call> {
  return call(api, 'POST', '/v1/transfers', {
    token: payer.accessToken, headers: { 'idempotency-key': key },
    json: { source_account_id: alice.accounts[0]!.id, destination_account_id: bob.accounts[0]!.id, amount, currency: 'CNY', description: 'Rent' },
  });
}

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  payer = await connect(api, alice, { accountIds: [alice.accounts[0]!.id], scope: 'openid transfers:write' });
  aliceReader = await connect(api, alice, { accountIds: [alice.accounts[0]!.id], scope: 'openid transactions:read' });
  bobReader = await connect(api, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid transactions:read' });
  bobBalanceOnly = await connect(api, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid accounts:read' });
});
afterAll(async () => {
  await api.close();
});

describe('a booked transfer', () => {
  test('gives transfer.completed to its client, with the Transfer exactly as GET /v1/transfers/{id} answers it', async () => {
    const made = await pay('12.34');
    expect(made.status).toBe(201);
    const [event, ...more] = (await eventsOf(payer.registered.client_id, 'transfer.completed')).filter((e) => (e.data as { id: string }).id === made.body.id);
    expect(more).toEqual([]);
    expect(event?.id).toMatch(/^evt_[0-9a-f]{32}$/);
    const read = await call(api, 'GET', `/v1/transfers/${made.body.id}`, { token: payer.accessToken });
    expect(event?.data).toEqual(read.body);
  });

  test('gives transaction.booked to each client reading either account, the debit and the credit, as the history shows them', async () => {
    const made = await pay('1.00');
    const debit = (await eventsOf(aliceReader.registered.client_id, 'transaction.booked')).filter((e) => (e.data as { transfer_id: string }).transfer_id === made.body.id);
    const credit = (await eventsOf(bobReader.registered.client_id, 'transaction.booked')).filter((e) => (e.data as { transfer_id: string }).transfer_id === made.body.id);
    expect(debit).toHaveLength(1);
    expect(credit).toHaveLength(1);
    const aliceHistory = await call(api, 'GET', `/v1/accounts/${alice.accounts[0]!.id}/transactions?limit=1`, { token: aliceReader.accessToken });
    const bobHistory = await call(api, 'GET', `/v1/accounts/${bob.accounts[0]!.id}/transactions?limit=1`, { token: bobReader.accessToken });
    expect(debit[0]?.data).toEqual(aliceHistory.body.data[0]);
    expect(credit[0]?.data).toEqual(bobHistory.body.data[0]);
    expect((credit[0]?.data as { direction: string }).direction).toBe('credit');
  });

  test('gives nothing to a client without transactions:read, nor transfer.completed to anyone but the payer', async () => {
    await pay('1.00');
    expect(await eventsOf(bobBalanceOnly.registered.client_id)).toEqual([]);
    expect(await eventsOf(bobReader.registered.client_id, 'transfer.completed')).toEqual([]);
    expect(await eventsOf(aliceReader.registered.client_id, 'transfer.completed')).toEqual([]);
  });
});

describe('what did not happen leaves no event', () => {
  test('a refused transfer (insufficient_funds) and a replay add none', async () => {
    const before = (await listAuditEvents(api.db, { limit: 100_000 })).length;
    const refused = await pay('999999.00');
    expect(refused.status).toBe(422);
    expect((await listAuditEvents(api.db, { limit: 100_000 })).length).toBe(before);
    const key = `events-replay-${process.pid}`;
    await pay('2.00', key);
    const afterFirst = (await listAuditEvents(api.db, { limit: 100_000 })).length;
    const replayed = await pay('2.00', key);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const afterReplay = (await listAuditEvents(api.db, { limit: 100_000 })).length;
    // The one booking gave transfer.completed, the debit to Alice's reader, the credit to Bob's.
    expect(afterFirst - before).toBe(3);
    expect(afterReplay).toBe(afterFirst);
  });
});

describe('a revoked grant', () => {
  test('gives grant.revoked to its client, and no transaction.booked is appended for it afterwards', async () => {
    const reader = await connect(api, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid offline_access transactions:read' });
    expect(reader.refreshToken).toBeDefined();
    await client.tokenRevocation(reader.clientConfig, reader.refreshToken as string);
    const revoked = await eventsOf(reader.registered.client_id, 'grant.revoked');
    expect(revoked.map((event) => event.data)).toEqual([{ sub: bob.sub, reason: 'token_revoked', revoked_at: expect.stringMatching(/Z$/) }]);
    await pay('1.00');
    expect(await eventsOf(reader.registered.client_id, 'transaction.booked')).toEqual([]);
  });

  test('a reused refresh token revokes the grant with reason refresh_token_reuse', async () => {
    const reader = await connect(api, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid offline_access transactions:read' });
    await client.refreshTokenGrant(reader.clientConfig, reader.refreshToken as string);
    await expect(client.refreshTokenGrant(reader.clientConfig, reader.refreshToken as string)).rejects.toThrow();
    const revoked = await eventsOf(reader.registered.client_id, 'grant.revoked');
    expect(revoked.map((event) => (event.data as { reason: string }).reason)).toEqual(['refresh_token_reuse']);
  });

  test('a reused authorization code revokes the grant with reason authorization_code_reuse', async () => {
    const fresh = await connect(api, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid transactions:read' });
    const flow = await authorize(api.auth, fresh.clientConfig, bob, { accountIds: [bob.accounts[0]!.id], scope: 'openid transactions:read' });
    await exchange(fresh.clientConfig, flow);
    await expect(exchange(fresh.clientConfig, flow)).rejects.toThrow();
    const reasons = (await eventsOf(fresh.registered.client_id, 'grant.revoked')).map((event) => (event.data as { reason: string }).reason);
    expect(reasons).toContain('authorization_code_reuse');
  });
});
