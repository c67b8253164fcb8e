import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createPartnerApp, deletePartnerApp } from '@payapi/auth-server';
import { discoverWithSecret } from '@payapi/auth-server/testing';
import { transfer } from '@payapi/ledger';
import * as client from 'openid-client';
import { authorize, call, connect, exchange, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let bob: Alice;
/** Alice connected with her two CNY accounts only: her Euro account is not consented. */
let partner: Connection;
/** Alice connected with `accounts:read` only. */
let readOnly: Connection;
/** Alice connected without `accounts:read`. */
let noAccountsScope: Connection;

const current = (): Alice['accounts'][number] => alice.accounts[0]!;
const savings = (): Alice['accounts'][number] => alice.accounts[1]!;
const euro = (): Alice['accounts'][number] => alice.accounts[2]!;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  partner = await connect(api, alice, { accountIds: [current().id, savings().id] });
  readOnly = await connect(api, alice, { scope: 'openid accounts:read' });
  noAccountsScope = await connect(api, alice, { scope: 'openid transactions:read transfers:write' });
  // Three movements on Alice's current account, so that history has pages.
  for (const amountMinor of [100n, 200n, 300n]) {
    await transfer(api.auth.database.db, { sourceAccountId: current().id, destinationAccountId: savings().id, amountMinor, currency: 'CNY', description: `move ${amountMinor}` });
  }
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

describe('GET /v1/accounts', () => {
  test('lists exactly the consented accounts with the documented fields', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      data: [
        { id: current().id, name: 'alice Current', currency: 'CNY', type: 'current', created_at: current().createdAt },
        { id: savings().id, name: 'alice Savings', currency: 'CNY', type: 'savings', created_at: savings().createdAt },
      ],
    });
  });

  test('without an access token answers 401 invalid_token with a Bearer challenge', async () => {
    const answer = await call(api, 'GET', '/v1/accounts');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(answer.body).toMatchObject({ status: 401, code: 'invalid_token', title: 'Unauthorized' });
    expect(answer.body.type).toBe(`${api.url}/problems/invalid_token`);
  });

  test('never reads an access token from the query string: 401 with a Bearer challenge, as without any token', async () => {
    const answer = await call(api, 'GET', `/v1/accounts?access_token=${partner.accessToken}`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(answer.body.code).toBe('invalid_token');
    const noToken = await call(api, 'GET', '/v1/accounts');
    expect(noToken.status).toBe(401);
  });

  test('an unknown /v1 path is 404 problem+json even without a token; a known one without a token is 401', async () => {
    const unknown = await call(api, 'GET', '/v1/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await call(api, 'GET', `/v1/accounts/${current().id}/balance`)).status).toBe(401);
    expect((await call(api, 'GET', '/V1/Accounts/')).status).toBe(401);
  });

  test('without the accounts:read scope answers 403 insufficient_scope naming the scope', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: noAccountsScope.accessToken });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="accounts:read", resource_metadata="${api.url}/.well-known/oauth-protected-resource"`);
    expect(answer.body).toMatchObject({ status: 403, code: 'insufficient_scope' });
  });
});

describe('GET /v1/accounts/{account_id}', () => {
  test('answers a consented account', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${savings().id}`, { token: partner.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: savings().id, name: 'alice Savings', currency: 'CNY', type: 'savings', created_at: savings().createdAt });
  });

  test.each([
    ['the user\'s own account that was not consented', () => euro().id],
    ['another user\'s account', () => bob.accounts[0]!.id],
    ['an id that cannot exist', () => 'acc_nope'],
  ])('answers 404 account_not_found for %s', async (_label, id) => {
    const answer = await call(api, 'GET', `/v1/accounts/${id()}`, { token: partner.accessToken });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, code: 'account_not_found' });
  });

  test('without the accounts:read scope answers 403', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}`, { token: noAccountsScope.accessToken });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('insufficient_scope');
  });
});

describe('GET /v1/accounts/{account_id}/balance', () => {
  test('answers the balance as a decimal string with the currency\'s minor digits', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}/balance`, { token: partner.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ account_id: current().id, amount: '9994.00', currency: 'CNY', as_of: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
  });

  test('answers 404 for an account that is not consented', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${euro().id}/balance`, { token: partner.accessToken });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('account_not_found');
  });

  test('without the accounts:read scope answers 403', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}/balance`, { token: noAccountsScope.accessToken });
    expect(answer.status).toBe(403);
  });
});

describe('GET /v1/accounts/{account_id}/transactions', () => {
  test('pages through the history newest first with next_cursor', async () => {
    const first = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?limit=2`, { token: partner.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.data.map((row: { amount: string }) => row.amount)).toEqual(['3.00', '2.00']);
    expect(first.body.data[0]).toEqual({
      id: expect.stringMatching(/^pst_/), transfer_id: expect.stringMatching(/^tr_/), account_id: current().id, direction: 'debit',
      amount: '3.00', currency: 'CNY', balance_after: '9994.00', counterparty_account_id: savings().id, description: 'move 300',
      booked_at: expect.any(String),
    });
    expect(typeof first.body.next_cursor).toBe('string');
    const second = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { token: partner.accessToken });
    expect(second.body.data.map((row: { amount: string; direction: string }) => `${row.direction} ${row.amount}`)).toEqual(['debit 1.00', 'credit 10000.00']);
    expect(second.body.next_cursor).toBeNull();
  });

  test('applies from (inclusive) and to (exclusive)', async () => {
    const all = await call(api, 'GET', `/v1/accounts/${current().id}/transactions`, { token: partner.accessToken });
    const newest = all.body.data[0];
    const from = encodeURIComponent(newest.booked_at);
    const onlyNewest = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?from=${from}`, { token: partner.accessToken });
    expect(onlyNewest.body.data.map((row: { id: string }) => row.id)).toEqual([newest.id]);
    const beforeNewest = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?to=${from}`, { token: partner.accessToken });
    expect(beforeNewest.body.data).toHaveLength(3);
    expect(beforeNewest.body.data.map((row: { id: string }) => row.id)).not.toContain(newest.id);
  });

  test('accepts from and to with unencoded colons, as curl and axios send them', async () => {
    const plain = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?from=2020-01-01T00:00:00Z&to=2999-01-01T00:00:00%2B08:00`, { token: partner.accessToken });
    expect(plain.status).toBe(200);
    expect(plain.body.data).toHaveLength(4);
  });

  test.each([
    ['limit=0', 'invalid_request'],
    ['limit=101', 'invalid_request'],
    ['limit=ten', 'invalid_request'],
    ['from=2026-11-29T10:00:00', 'invalid_request'],
    ['to=yesterday', 'invalid_request'],
    ['colour=blue', 'invalid_request'],
    ['cursor=not-a-cursor', 'invalid_cursor'],
  ])('refuses %s with 400 %s', async (query, code) => {
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?${query}`, { token: partner.accessToken });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe(code);
  });

  test.each(['limit=0x10', 'limit=1e1', 'limit=010', 'limit=5.0', 'limit=%2B5', 'limit=%205', 'limit=5%20', 'limit=', 'limit=5&limit=6'])(
    'finding 9 (security review, docs/security.md): refuses %s with 400 invalid_request (a plain decimal integer only)', async (query) => {
      const answer = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?${query}`, { token: partner.accessToken });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('invalid_request');
      expect(answer.body.detail).toMatch(/limit/);
    });

  test('accepts limit=5 and limit=100 as plain decimal integers', async () => {
    for (const limit of ['5', '100']) {
      const answer = await call(api, 'GET', `/v1/accounts/${current().id}/transactions?limit=${limit}`, { token: partner.accessToken });
      expect(answer.status).toBe(200);
    }
  });

  test('answers 404 for an account that is not consented', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${euro().id}/transactions`, { token: partner.accessToken });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('account_not_found');
  });

  test('without the transactions:read scope answers 403 naming it', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}/transactions`, { token: readOnly.accessToken });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toContain('scope="transactions:read"');
  });
});

describe('portal review: reads stop within moments when the grant goes', () => {
  /** Each account read of `connection`'s token: its status. */
  async function readStatuses(accessToken: string): Promise<number[]> {
    const statuses = [];
    for (const path of ['/v1/accounts', `/v1/accounts/${current().id}`, `/v1/accounts/${current().id}/balance`, `/v1/accounts/${current().id}/transactions`]) {
      statuses.push((await call(api, 'GET', path, { token: accessToken })).status);
    }
    return statuses;
  }

  /** Polls one read until it is refused: revocations reach every process by notification, within moments (no timing asserted). */
  async function untilRefused(accessToken: string): Promise<void> {
    for (let polls = 0; polls < 200; polls += 1) {
      if ((await call(api, 'GET', `/v1/accounts/${current().id}/balance`, { token: accessToken })).status !== 200) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  test('portal review: a deleted partner app\'s unexpired access token reads nothing more (401 invalid_token on every read)', async () => {
    const db = api.auth.database.db;
    const app = await createPartnerApp(db, { name: 'Deleted Reader', redirectUris: ['http://127.0.0.1:4002/callback'], owner: 'dev_review' }, { environment: 'sandbox' });
    const config = await discoverWithSecret(api.auth, app.clientId, app.clientSecret);
    const tokens = await exchange(config, await authorize(api.auth, config, alice, { accountIds: [current().id] }));
    expect(await readStatuses(tokens.access_token)).toEqual([200, 200, 200, 200]);
    await deletePartnerApp(db, app.clientId);
    await untilRefused(tokens.access_token);
    expect(await readStatuses(tokens.access_token)).toEqual([401, 401, 401, 401]);
    const answer = await call(api, 'GET', `/v1/accounts/${current().id}/balance`, { token: tokens.access_token });
    expect([answer.body.code, answer.body.detail]).toEqual(['invalid_token', 'the grant or consent behind this access token has been revoked']);
  });

  test('portal review: a grant revoked by its refresh token (RFC 7009) stops reads at once too', async () => {
    const connection = await connect(api, alice, { accountIds: [current().id] });
    expect(await readStatuses(connection.accessToken)).toEqual([200, 200, 200, 200]);
    await client.tokenRevocation(connection.clientConfig, connection.refreshToken as string);
    await untilRefused(connection.accessToken);
    expect(await readStatuses(connection.accessToken)).toEqual([401, 401, 401, 401]);
  });
});

describe('answers outside the endpoints', () => {
  test('an unknown route is a 404 problem', async () => {
    const answer = await call(api, 'GET', '/v1/nothing-here', { token: partner.accessToken });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.code).toBe('not_found');
  });

  test('a wrong method is a 405 problem with Allow', async () => {
    const answer = await call(api, 'DELETE', '/v1/accounts', { token: partner.accessToken });
    expect(answer.status).toBe(405);
    expect(answer.body.code).toBe('method_not_allowed');
    expect(answer.headers.get('allow')).toMatch(/GET/);
  });

  test('echoes a well-formed x-fapi-interaction-id and generates one otherwise', async () => {
    const echoed = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken, headers: { 'x-fapi-interaction-id': 'c770aef3-6784-41f7-8e0e-ff5f97bddb3a' } });
    expect(echoed.headers.get('x-fapi-interaction-id')).toBe('c770aef3-6784-41f7-8e0e-ff5f97bddb3a');
    const generated = await call(api, 'GET', '/v1/nothing-here');
    expect(generated.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  test('sends helmet\'s security headers and no CORS headers when no origin is configured', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken, headers: { origin: 'https://evil.example' } });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('x-frame-options')).toBe('DENY');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('x-powered-by')).toBeNull();
  });
});
