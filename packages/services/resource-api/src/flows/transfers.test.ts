import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { auditLedger, getBalance } from '@payapi/ledger';
import * as client from 'openid-client';
import { UserAgent, authorize, discover, exchange, seedClient } from '@payapi/auth-server/testing';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let bob: Alice;
/** Alice connected with her current and Euro accounts (her savings account is not consented). */
let partner: Connection;
/** Alice connected without `transfers:write`. */
let readOnly: Connection;
let keyCounter = 0;

const current = (): string => alice.accounts[0]!.id;
const savings = (): string => alice.accounts[1]!.id;
const euro = (): string => alice.accounts[2]!.id;
const newKey = (): string => `key-${process.pid}-${(keyCounter += 1)}`;

function post(body: unknown, key: string | null = newKey(), token = partner.accessToken): ReturnType<typeof call> {
  return call(api, 'POST', '/v1/transfers', { token, json: body, headers: key === null ? {} : { 'idempotency-key': key } });
}

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  partner = await connect(api, alice, { accountIds: [current(), euro()] });
  readOnly = await connect(api, alice, { scope: 'openid accounts:read' });
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

describe('POST /v1/transfers', () => {
  test('moves money from a consented account and answers 201 with the transfer', async () => {
    const answer = await post({ source_account_id: current(), destination_account_id: bob.accounts[0]!.id, amount: '12.34', currency: 'CNY', description: 'Dinner' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^tr_[0-9a-f]{32}$/), source_account_id: current(), destination_account_id: bob.accounts[0]!.id,
      amount: '12.34', currency: 'CNY', description: 'Dinner', status: 'completed', created_at: expect.stringMatching(/Z$/),
    });
    expect(answer.headers.get('location')).toBe(`/v1/transfers/${answer.body.id}`);
    expect(answer.headers.get('idempotent-replayed')).toBeNull();
    expect((await getBalance(api.auth.database.db, bob.accounts[0]!.id)).balanceMinor).toBe(1_000_000n + 1234n);
  });

  test('may credit the user\'s own account that was not consented', async () => {
    const answer = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' });
    expect(answer.status).toBe(201);
    expect(answer.body.amount).toBe('1.00');
    expect(answer.body.description).toBeNull();
  });

  test.each([
    ['a source that is the user\'s own account but not consented', () => ({ source_account_id: savings(), destination_account_id: current(), amount: '1.00', currency: 'CNY' }), 404, 'account_not_found'],
    ['a source of another user', () => ({ source_account_id: bob.accounts[0]!.id, destination_account_id: current(), amount: '1.00', currency: 'CNY' }), 404, 'account_not_found'],
    ['a destination that does not exist', () => ({ source_account_id: current(), destination_account_id: `acc_${'0'.repeat(32)}`, amount: '1.00', currency: 'CNY' }), 404, 'account_not_found'],
    ['more than the balance', () => ({ source_account_id: current(), destination_account_id: savings(), amount: '999999.00', currency: 'CNY' }), 422, 'insufficient_funds'],
    ['a currency other than the accounts\'', () => ({ source_account_id: euro(), destination_account_id: savings(), amount: '1.00', currency: 'EUR' }), 422, 'currency_mismatch'],
    ['the same account on both sides', () => ({ source_account_id: current(), destination_account_id: current(), amount: '1.00', currency: 'CNY' }), 422, 'same_account'],
    ['an unknown currency', () => ({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'XXX' }), 400, 'unsupported_currency'],
  ])('refuses %s', async (_label, body, status, code) => {
    const answer = await post(body());
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status, code, type: `${api.url}/problems/${code}` });
  });

  test('finding 6 (security review, docs/security.md): a body with a member name twice (the later amount larger) is 400 invalid_request and books nothing', async () => {
    const before = await getBalance(api.auth.database.db, current());
    const raw = `{"source_account_id":"${current()}","destination_account_id":"${savings()}","amount":"1.00","currency":"CNY","amount":"2.00"}`;
    const answer = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, rawBody: raw, headers: { 'idempotency-key': newKey() } });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
    expect(answer.body.detail).toMatch(/"amount" more than once/);
    // The same name written with an escape is the same name.
    const escaped = raw.replace('"amount":"2.00"', '"\\u0061mount":"2.00"');
    const again = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, rawBody: escaped, headers: { 'idempotency-key': newKey() } });
    expect(again.status).toBe(400);
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor);
  });

  test('finding 6, review of the fix: a body in UTF-7 or UTF-16 is 415 and books nothing, so no reader sees other names than the booking', async () => {
    const before = await getBalance(api.auth.database.db, current());
    const utf7 = `{"source_account_id":"${current()}","destination_account_id":"${savings()}","amount":"1.00","+AGE-mount":"0.02","currency":"CNY"}`;
    const asUtf7 = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, rawBody: utf7,
      headers: { 'idempotency-key': newKey(), 'content-type': 'application/json; charset=utf-7' } });
    expect(asUtf7.status).toBe(415);
    expect(asUtf7.body.code).toBe('unsupported_media_type');
    const utf16 = Buffer.from(`{"source_account_id":"${current()}","destination_account_id":"${savings()}","amount":"1.00","currency":"CNY"}`, 'utf16le');
    const asUtf16 = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, rawBody: utf16,
      headers: { 'idempotency-key': newKey(), 'content-type': 'application/json; charset=UTF-16LE' } });
    expect(asUtf16.status).toBe(415);
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor);
    const asUtf8 = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken,
      rawBody: `{"source_account_id":"${current()}","destination_account_id":"${savings()}","amount":"1.00","currency":"CNY"}`,
      headers: { 'idempotency-key': newKey(), 'content-type': 'application/json; charset=UTF-8' } });
    expect(asUtf8.status).toBe(201);
  });

  test('requires an Idempotency-Key header', async () => {
    const answer = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, null);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
    expect(answer.body.detail).toMatch(/idempotency-key/i);
  });

  test('refuses an Idempotency-Key with spaces', async () => {
    const answer = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, 'has space');
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
  });

  test('without the transfers:write scope answers 403 naming it', async () => {
    const answer = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, newKey(), readOnly.accessToken);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="transfers:write", resource_metadata="${api.url}/.well-known/oauth-protected-resource"`);
  });
});

describe('idempotency', () => {
  test('the same key and body replay the first answer with Idempotent-Replayed: true', async () => {
    const key = newKey();
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '2.50', currency: 'CNY', description: 'once' };
    const before = await getBalance(api.auth.database.db, current());
    const first = await post(body, key);
    const again = await post(body, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor - 250n);
  });

  test('a refusal under a key is replayed too: same 422 and body, with Idempotent-Replayed: true', async () => {
    const key = newKey();
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '999999.00', currency: 'CNY' };
    const first = await post(body, key);
    expect(first.status).toBe(422);
    expect(first.body.code).toBe('insufficient_funds');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post(body, key);
    expect(again.status).toBe(422);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  test('the same key with another body is 422 idempotency_key_reused', async () => {
    const key = newKey();
    await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, key);
    const other = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.01', currency: 'CNY' }, key);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  test('keys are scoped per client: another app may use the same key for its own transfer', async () => {
    const key = newKey();
    const other = await connect(api, alice, { accountIds: [current()] });
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' };
    const mine = await post(body, key);
    const theirs = await post(body, key, other.accessToken);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
  });

  test('finding 4 (security review, docs/security.md): keys are scoped per user: Bob through the same app may use the key Alice used, and learns nothing of it', async () => {
    const key = `shared-key-1-${process.pid}`;
    const bobFlow = await authorize(api.auth, partner.clientConfig, bob, { accountIds: [bob.accounts[0]!.id] });
    const bobToken = (await exchange(partner.clientConfig, bobFlow)).access_token;
    const alices = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, key);
    expect(alices.status).toBe(201);
    const bobs = await post({ source_account_id: bob.accounts[0]!.id, destination_account_id: current(), amount: '2.00', currency: 'CNY' }, key, bobToken);
    expect(bobs.status).toBe(201);
    expect(bobs.body.amount).toBe('2.00');
    expect(bobs.headers.get('idempotent-replayed')).toBeNull();
    // Each one's retry still replays their own transfer.
    const alicesRetry = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, key);
    expect(alicesRetry.body.id).toBe(alices.body.id);
    expect(alicesRetry.headers.get('idempotent-replayed')).toBe('true');
  });

  test('10 parallel identical POSTs make one transfer; the others replay it or get 409', async () => {
    const key = newKey();
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '7.77', currency: 'CNY' };
    const before = await getBalance(api.auth.database.db, current());
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(body, key)));
    const created = answers.filter((answer) => answer.status === 201);
    const inFlight = answers.filter((answer) => answer.status === 409);
    expect(created.length + inFlight.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((answer) => answer.body.id)).size).toBe(1);
    expect(created.filter((answer) => answer.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    for (const answer of inFlight) expect(answer.body.code).toBe('idempotency_key_in_flight');
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor - 777n);
    const { rows } = await api.auth.database.db.raw<{ rows: Array<{ n: string }> }>(
      'SELECT count(*) AS n FROM ledger.transfers WHERE source_account_id = ? AND amount_minor = 777', [current()]);
    expect(rows[0]?.n).toBe('1');
  });
});

describe('GET /v1/transfers/{transfer_id}', () => {
  test('reads back a transfer this client made', async () => {
    const made = await post({ source_account_id: current(), destination_account_id: savings(), amount: '3.00', currency: 'CNY' });
    const answer = await call(api, 'GET', `/v1/transfers/${made.body.id}`, { token: partner.accessToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(made.body);
  });

  test('answers 404 transfer_not_found for a transfer of another client, an opening balance, or a malformed id', async () => {
    const other = await connect(api, alice, { accountIds: [current()] });
    const theirs = await post({ source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' }, newKey(), other.accessToken);
    const { rows } = await api.auth.database.db.raw<{ rows: Array<{ id: string }> }>(
      `SELECT id FROM ledger.transfers WHERE destination_account_id = ? AND kind = 'opening_balance'`, [current()]);
    for (const id of [theirs.body.id as string, rows[0]!.id, 'tr_x']) {
      const answer = await call(api, 'GET', `/v1/transfers/${id}`, { token: partner.accessToken });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('transfer_not_found');
    }
  });

  test('without the transfers:write scope answers 403', async () => {
    const answer = await call(api, 'GET', `/v1/transfers/tr_${'1'.repeat(32)}`, { token: readOnly.accessToken });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('insufficient_scope');
  });
});

describe('a later consent to the same grant', () => {
  test('an account unticked at a later consent can no longer be debited with a token issued before it', async () => {
    const registered = await seedClient(api.auth);
    const config = await discover(api.auth, registered);
    const agent = new UserAgent();
    const before = await exchange(config, await authorize(api.auth, config, alice, { accountIds: [current(), euro()], agent }));
    await exchange(config, await authorize(api.auth, config, alice, { accountIds: [euro()], agent }));
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' };
    const answer = await post(body, newKey(), before.access_token);
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('account_not_found');
    const stillConsented = await post({ ...body, source_account_id: euro(), destination_account_id: bob.accounts[2]!.id, currency: 'EUR' }, newKey(), before.access_token);
    expect(stillConsented.status).toBe(201);
  });
});

describe('a revoked grant', () => {
  test('cannot move money or read transfers with its still-unexpired token', async () => {
    const doomed = await connect(api, alice, { accountIds: [current()] });
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' };
    const madeKey = newKey();
    const made = { ...(await post(body, madeKey, doomed.accessToken)), requestKey: madeKey };
    expect(made.status).toBe(201);
    await client.tokenRevocation(doomed.clientConfig, doomed.refreshToken ?? doomed.accessToken);
    const before = await getBalance(api.auth.database.db, current());
    const refused = await post(body, newKey(), doomed.accessToken);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const read = await call(api, 'GET', `/v1/transfers/${made.body.id}`, { token: doomed.accessToken });
    expect(read.status).toBe(401);
    // The replay of a transfer made before the revocation is refused too.
    const replay = await post(body, made.requestKey, doomed.accessToken);
    expect(replay.status).toBe(401);
    // 401 comes before the route's own refusals (amount wrong for its currency, source not in the token); the
    // OpenAPI request check (missing key, malformed body) runs before any route and answers 400 as for any token.
    for (const [refusedBody, key] of [
      [{ ...body, amount: '100.00', currency: 'JPY' }, newKey()],
      [{ ...body, source_account_id: bob.accounts[0]!.id }, newKey()],
    ] as const) {
      const answer = await post(refusedBody, key, doomed.accessToken);
      expect([answer.status, answer.body.code]).toEqual([401, 'invalid_token']);
    }
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor);
  });
});

describe('one statement per transfer', () => {
  test('a POST sends the database one SQL statement, api.post_transfer: grant check, owner check, idempotency and booking', async () => {
    const fresh = await connect(api, alice, { accountIds: [current()] });
    const sent: string[] = [];
    const record = (query: { sql: string }): void => void sent.push(query.sql);
    api.db.on('query', record);
    try {
      const answer = await post({ source_account_id: current(), destination_account_id: savings(), amount: '0.01', currency: 'CNY' }, newKey(), fresh.accessToken);
      expect(answer.status).toBe(201);
    } finally {
      api.db.off('query', record);
    }
    expect(sent).toEqual([expect.stringMatching(/^SELECT api\.post_transfer\(/)]);
  });

  test('a refusal of the grant check (revoked, or the source unticked later) writes nothing: no transfer, no idempotency record', async () => {
    const registered = await seedClient(api.auth);
    const config = await discover(api.auth, registered);
    const agent = new UserAgent();
    const unticked = await exchange(config, await authorize(api.auth, config, alice, { accountIds: [current(), euro()], agent }));
    await exchange(config, await authorize(api.auth, config, alice, { accountIds: [euro()], agent }));
    const revoked = await connect(api, alice, { accountIds: [current()] });
    await client.tokenRevocation(revoked.clientConfig, revoked.refreshToken ?? revoked.accessToken);
    const body = { source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY' };
    const before = await getBalance(api.auth.database.db, current());
    for (const [token, status] of [[unticked.access_token, 404], [revoked.accessToken, 401]] as const) {
      const key = newKey();
      expect((await post(body, key, token)).status).toBe(status);
      const { rows } = await api.auth.database.db.raw<{ rows: unknown[] }>('SELECT 1 FROM ledger.idempotency_records WHERE idempotency_key = ?', [key]);
      expect(rows).toEqual([]);
    }
    // A request the ledger refuses before the database (the same account on both sides) is 401 too for the revoked grant.
    const same = await post({ ...body, destination_account_id: current() }, newKey(), revoked.accessToken);
    expect([same.status, same.body.code]).toEqual([401, 'invalid_token']);
    expect((await getBalance(api.auth.database.db, current())).balanceMinor).toBe(before.balanceMinor);
  });
});

test('the books still balance after every test above', async () => {
  const audit = await auditLedger(api.auth.database.db);
  expect(audit.transfers).toBeGreaterThan(10);
  expect([audit.unbalancedTransfers, audit.wrongBalances, audit.negativeBalances]).toEqual([[], [], []]);
});
