import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createLogger } from '@payapi/platform';
import { createRequestLog } from '../request-log/request-log.ts';
import { REQUEST_LOG_DEFAULTS } from '../request-log/settings.ts';
import { insertRequestLogRows, listRecentRequests } from '../request-log/store.ts';
import type { RecentRequest } from '../request-log/store.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

// The request log (docs/resource-api.md, "Request log"): what a partner's calls leave in
// api.request_log, and what listRecentRequests shows the developer portal.

let api: TestApi;
let alice: Alice;
let partner: Connection;
let otherApp: Connection;

const DAY_MS = 86_400_000;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  partner = await connect(api, alice, { accountIds: [alice.accounts[0]!.id, alice.accounts[1]!.id] });
  otherApp = await connect(api, alice);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** Polls `listRecentRequests` until `done` holds, at most `timeoutMs`; returns the last list. */
async function listUntil(clientId: string, done: (list: RecentRequest[]) => boolean, timeoutMs = 3_000): Promise<RecentRequest[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await listRecentRequests(api.db, clientId);
    if (done(list) || Date.now() > deadline) return list;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many rows carry one of `requestIds`, whichever client they name. */
async function rowsWithRequestIds(requestIds: string[]): Promise<number> {
  const { rows } = await api.db.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM api.request_log WHERE request_id = ANY (?)', [requestIds]);
  return rows[0]?.n ?? 0;
}

describe('recording /v1 calls', () => {
  test('a few calls appear within the flush interval with the client, time, method, path without query, status, duration and interaction id, newest first', async () => {
    const [current, euro] = [alice.accounts[0]!, alice.accounts[2]!];
    const before = Date.now();
    const answers = [
      await call(api, 'GET', `/v1/accounts/${current.id}/balance`, { token: partner.accessToken }),
      await call(api, 'GET', `/v1/accounts/${current.id}/transactions?limit=2`, { token: partner.accessToken }),
      await call(api, 'GET', `/v1/accounts/${euro.id}/balance`, { token: partner.accessToken }),
    ];
    const answered = Date.now();
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404]);
    const ids = answers.map((answer) => answer.headers.get('x-fapi-interaction-id') as string);
    const list = await listUntil(partner.registered.client_id, (rows) => rows.length >= 3);
    // Written by the flush that follows the calls: about 500 ms, with room for a busy machine.
    expect(Date.now() - answered).toBeLessThan(REQUEST_LOG_DEFAULTS.flushIntervalMs + 1_500);
    expect(list.map((row) => row.requestId)).toEqual([...ids].reverse());
    const mask = (id: string): string => `acc_…${id.slice(-4)}`;
    expect(list.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: `/v1/accounts/${mask(euro.id)}/balance`, status: 404 },
      { method: 'GET', path: `/v1/accounts/${mask(current.id)}/transactions`, status: 200 },
      { method: 'GET', path: `/v1/accounts/${mask(current.id)}/balance`, status: 200 },
    ]);
    for (const row of list) {
      expect(row.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(row.time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(row.time)).toBeLessThanOrEqual(answered);
      expect(row.durationMs).toBeGreaterThan(0);
      expect(row.durationMs).toBeLessThan(answered - before + 1);
    }
  });

  test('another client\'s calls never appear, and its own list has only its calls', async () => {
    const mine = await call(api, 'GET', '/v1/accounts', { token: otherApp.accessToken });
    expect(mine.status).toBe(200);
    const mineId = mine.headers.get('x-fapi-interaction-id') as string;
    const otherList = await listUntil(otherApp.registered.client_id, (rows) => rows.some((row) => row.requestId === mineId));
    expect(otherList.map((row) => row.requestId)).toEqual([mineId]);
    await api.requestLog?.flush();
    expect((await listRecentRequests(api.db, partner.registered.client_id)).map((row) => row.requestId)).not.toContain(mineId);
    expect(await listRecentRequests(api.db, 'no-such-client')).toEqual([]);
  });

  test('a call without a valid token (401) is not recorded, nor a public route', async () => {
    const ids = ['unauthenticated-1', 'unauthenticated-2', 'unauthenticated-3', 'public-1'];
    expect((await call(api, 'GET', '/v1/accounts', { headers: { 'x-fapi-interaction-id': ids[0]! } })).status).toBe(401);
    expect((await call(api, 'GET', '/v1/accounts', { token: 'not-a-jwt', headers: { 'x-fapi-interaction-id': ids[1]! } })).status).toBe(401);
    expect((await call(api, 'GET', `/v1/accounts?access_token=${partner.accessToken}`, { headers: { 'x-fapi-interaction-id': ids[2]! } })).status).toBe(401);
    expect((await call(api, 'GET', '/healthz', { token: partner.accessToken, headers: { 'x-fapi-interaction-id': ids[3]! } })).status).toBe(200);
    await api.requestLog?.flush();
    expect(await rowsWithRequestIds(ids)).toBe(0);
  });

  test('a rogue path is cut at 256 characters and a query string is never kept', async () => {
    const answer = await call(api, 'GET', `/v1/accounts/${'x'.repeat(3_000)}/balance?cursor=${'y'.repeat(500)}`, { token: partner.accessToken });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const id = answer.headers.get('x-fapi-interaction-id') as string;
    const [row] = (await listUntil(partner.registered.client_id, (rows) => rows[0]?.requestId === id)).filter((entry) => entry.requestId === id);
    expect(row?.path).toHaveLength(256);
    expect(row?.path).toMatch(/^\/v1\/accounts\/x+…$/);
  });
});

describe('listRecentRequests', () => {
  test('returns at most `limit` calls, newest first, and refuses a limit outside 1..100', async () => {
    const clientId = `limit-test-${Date.now()}`;
    const now = Date.now();
    await insertRequestLogRows(api.db, [1, 2, 3].map((n) => ({
      clientId, requestedAtMs: now - n * 1_000, method: 'GET', path: `/v1/accounts/${n}`, status: 200, durationMs: 1.5, requestId: `limit-${n}`,
    })));
    expect((await listRecentRequests(api.db, clientId, 2)).map((row) => row.requestId)).toEqual(['limit-1', 'limit-2']);
    expect((await listRecentRequests(api.db, clientId))[0]).toEqual({
      time: new Date(now - 1_000).toISOString(), method: 'GET', path: '/v1/accounts/1', status: 200, durationMs: 1.5, requestId: 'limit-1',
    });
    for (const limit of [0, 101, 1.5, Number.NaN]) await expect(listRecentRequests(api.db, clientId, limit)).rejects.toThrow(RangeError);
  });
});

describe('retention', () => {
  test('the purge deletes rows older than 14 days, in batches, and keeps the others; older rows are never listed', async () => {
    const clientId = `purge-test-${Date.now()}`;
    const now = Date.now();
    const row = (ageMs: number, requestId: string): Parameters<typeof insertRequestLogRows>[1][number] => ({
      clientId, requestedAtMs: now - ageMs, method: 'GET', path: '/v1/accounts', status: 200, durationMs: 2, requestId,
    });
    await insertRequestLogRows(api.db, [
      ...[1, 2, 3, 4, 5].map((n) => row(15 * DAY_MS + n * 60_000, `old-${n}`)),
      row(14 * DAY_MS + 60_000, 'just-over'),
      row(13 * DAY_MS, 'kept-13-days'),
      row(1_000, 'kept-recent'),
    ]);
    expect((await listRecentRequests(api.db, clientId)).map((entry) => entry.requestId)).toEqual(['kept-recent', 'kept-13-days']);
    const log = createRequestLog(api.db, { ...REQUEST_LOG_DEFAULTS, purgeBatchRows: 2 }, createLogger('resource-api', 'silent'));
    try {
      expect(await log.purge()).toBeGreaterThanOrEqual(6);
    } finally {
      await log.close();
    }
    const { rows } = await api.db.raw<{ rows: Array<{ request_id: string }> }>(
      'SELECT request_id FROM api.request_log WHERE client_id = ? ORDER BY requested_at DESC', [clientId]);
    expect(rows.map((entry) => entry.request_id)).toEqual(['kept-recent', 'kept-13-days']);
  });
});
