import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { openAccount } from '@payapi/ledger';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let partner: Connection;
let yen: { source: string; destination: string };
let keyCounter = 0;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  const db = api.auth.database.db;
  const source = await openAccount(db, { ownerSubject: alice.sub, name: 'alice Yen', type: 'current', currency: 'JPY', openingBalanceMinor: 100_000n });
  const destination = await openAccount(db, { ownerSubject: alice.sub, name: 'alice Yen Savings', type: 'savings', currency: 'JPY' });
  yen = { source: source.id, destination: destination.id };
  partner = await connect(api, alice, { accountIds: [alice.accounts[0]!.id, source.id] });
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** What the ledger holds: any booking would change it. */
async function ledgerState(): Promise<string> {
  const { rows } = await api.auth.database.db.raw<{ rows: Array<{ transfers: string; total: string }> }>(
    `SELECT (SELECT count(*) FROM ledger.transfers) AS transfers,
            (SELECT string_agg(id || '=' || balance_minor, ',' ORDER BY id) FROM ledger.accounts) AS total`);
  return JSON.stringify(rows[0]);
}

const valid = (): Record<string, unknown> => ({
  source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '1.00', currency: 'CNY',
});

test.each<[string, () => { raw: string | Buffer; contentType?: string }, number, string]>([
  ['malformed JSON', () => ({ raw: '{"source_account_id": ' }), 400, 'invalid_request'],
  ['a 1 MiB body', () => ({ raw: JSON.stringify({ ...valid(), description: 'x'.repeat(1024 * 1024) }) }), 413, 'content_too_large'],
  ['a form-encoded body', () => ({ raw: 'amount=1.00&currency=CNY', contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
  ['a text/plain body', () => ({ raw: JSON.stringify(valid()), contentType: 'text/plain' }), 415, 'unsupported_media_type'],
  ['the amount as a JSON number', () => ({ raw: JSON.stringify({ ...valid(), amount: 1 }) }), 400, 'invalid_amount'],
  ['an exponent amount "1e3"', () => ({ raw: JSON.stringify({ ...valid(), amount: '1e3' }) }), 400, 'invalid_amount'],
  ['a negative amount "-5.00"', () => ({ raw: JSON.stringify({ ...valid(), amount: '-5.00' }) }), 400, 'invalid_amount'],
  ['a zero amount "0.00"', () => ({ raw: JSON.stringify({ ...valid(), amount: '0.00' }) }), 400, 'invalid_amount'],
  ['"12.345" CNY (three decimals)', () => ({ raw: JSON.stringify({ ...valid(), amount: '12.345' }) }), 400, 'invalid_amount'],
  ['"1200.5" JPY (JPY has no minor unit)', () => ({ raw: JSON.stringify({ source_account_id: yen.source, destination_account_id: yen.destination, amount: '1200.5', currency: 'JPY' }) }), 400, 'invalid_amount'],
  ['a 20-digit amount', () => ({ raw: JSON.stringify({ ...valid(), amount: '12345678901234567890' }) }), 400, 'invalid_amount'],
  ['a missing amount', () => ({ raw: JSON.stringify({ ...valid(), amount: undefined }) }), 400, 'invalid_request'],
  ['a missing currency', () => ({ raw: JSON.stringify({ ...valid(), currency: undefined }) }), 400, 'invalid_request'],
  ['an extra field', () => ({ raw: JSON.stringify({ ...valid(), fee: '0.01' }) }), 400, 'invalid_request'],
  ['a 10 KB description', () => ({ raw: JSON.stringify({ ...valid(), description: 'd'.repeat(10 * 1024) }) }), 400, 'invalid_request'],
  ['a lone surrogate in the description', () => ({ raw: '{"source_account_id":"' + alice.accounts[0]!.id + '","destination_account_id":"' + alice.accounts[1]!.id + '","amount":"1.00","currency":"CNY","description":"a\\ud800b"}' }), 400, 'invalid_request'],
  ['a lone surrogate in an account id', () => ({ raw: JSON.stringify({ ...valid(), source_account_id: 'acc_\ud800' }) }), 404, 'account_not_found'],
  ['a JSON array', () => ({ raw: '[]' }), 400, 'invalid_request'],
  ['a bare JSON string', () => ({ raw: '"1.00"' }), 400, 'invalid_request'],
])('%s is refused with a problem and the ledger unchanged', async (_label, input, status, code) => {
  const before = await ledgerState();
  keyCounter += 1;
  const { raw, contentType } = input();
  const answer = await call(api, 'POST', '/v1/transfers', {
    token: partner.accessToken, rawBody: raw, headers: { 'idempotency-key': `bad-${keyCounter}`, 'content-type': contentType ?? 'application/json' },
  });
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code });
  expect(await ledgerState()).toBe(before);
});

test('a valid transfer in the same setup succeeds, so the refusals above are about the input', async () => {
  const answer = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: { source_account_id: yen.source, destination_account_id: yen.destination, amount: '1200', currency: 'JPY' }, headers: { 'idempotency-key': 'good-1' } });
  expect(answer.status).toBe(201);
  expect(answer.body.amount).toBe('1200');
});

test('a 5xx answer reveals nothing internal', async () => {
  // The grant check needs schema auth; without its function the query fails like any database fault.
  await api.auth.database.db.raw('ALTER FUNCTION auth.access_token_is_active(text) RENAME TO access_token_is_active_hidden');
  try {
    const answer = await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, json: valid(), headers: { 'idempotency-key': 'fault-1' } });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ type: `${api.url}/problems/internal_error`, title: 'Internal Server Error', status: 500,
      detail: 'the server could not answer this request; try again later', code: 'internal_error' });
    expect(JSON.stringify(answer.body)).not.toMatch(/access_token_is_active|auth\.|SELECT/);
  } finally {
    await api.auth.database.db.raw('ALTER FUNCTION auth.access_token_is_active_hidden(text) RENAME TO access_token_is_active');
  }
});

test('security review (docs/security.md): an absolute-form request target without a token is 401 first, as an origin-form one is', async () => {
  const { request } = await import('node:http');
  const url = new URL(api.url);
  const target = `${api.url}/v1/accounts/${alice.accounts[0]!.id}/transactions?limit=0x10`;
  const status = await new Promise<number>((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, method: 'GET', path: target }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
  expect(status).toBe(401);
});
