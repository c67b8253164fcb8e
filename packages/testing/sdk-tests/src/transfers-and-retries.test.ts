import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createPayApi, PayApiConnectionError, PayApiProblem } from '@payapi/sdk';
import type { PayApi, PayApiOptions, RetryNotice, Transaction } from '@payapi/sdk';
import { connect, seedUser, startTestApi } from '@payapi/resource-api/testing';
import type { Alice, Connection, TestApi } from '@payapi/resource-api/testing';
import { startFaultyProxy } from './faulty-proxy.ts';
import type { FaultyProxy } from './faulty-proxy.ts';

// The SDK against the real resource API (and its authorization server) on free ports, through a
// proxy that fails on purpose: transfers, history pages, and which failures are retried, with the
// API's idempotency behind them making sure a retried transfer is booked once.

let api: TestApi;
let alice: Alice;
let connection: Connection;
let proxy: FaultyProxy;
let notices: RetryNotice[];

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  connection = await connect(api, alice);
  proxy = await startFaultyProxy(api.url);
});
afterAll(async () => {
  await proxy.close();
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

const current = (): string => alice.accounts[0]!.id;
const savings = (): string => alice.accounts[1]!.id;

/** An SDK client through the proxy, recording its retries; short backoffs keep the tests quick. */
function sdk(options: Partial<PayApiOptions> = {}): PayApi {
  notices = [];
  proxy.seen.length = 0;
  return createPayApi({
    baseUrl: proxy.url, accessToken: () => connection.accessToken, onRetry: (notice) => notices.push(notice),
    retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...options,
  });
}

/** The transfers booked with `description` (each test uses its own), from the ledger itself. */
async function booked(description: string): Promise<Array<{ id: string; amount_minor: string }>> {
  return api.db('ledger.transfers').where({ description }).select('id', 'amount_minor');
}

async function balanceMinor(accountId: string): Promise<bigint> {
  const row = await api.db('ledger.accounts').where({ id: accountId }).first('balance_minor');
  return BigInt(row.balance_minor);
}

describe('transfers', () => {
  test('create answers the Transfer, get reads it back, and the ledger has it once', async () => {
    const payApi = sdk();
    const description = `sdk transfer ${randomUUID()}`;
    const transfer = await payApi.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '12.34', currency: 'CNY', description });
    expect(transfer).toEqual({
      id: expect.stringMatching(/^tr_[0-9a-f]{32}$/), source_account_id: current(), destination_account_id: savings(), amount: '12.34', currency: 'CNY',
      description, status: 'completed', created_at: expect.stringMatching(/Z$/),
    });
    expect(await payApi.transfers.get(transfer.id)).toEqual(transfer);
    expect(await booked(description)).toEqual([{ id: transfer.id, amount_minor: '1234' }]);
    // One Idempotency-Key per call, a UUID, sent on the POST.
    const post = proxy.seen.find((seen) => seen.method === 'POST');
    expect(post?.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('two calls get two keys (two transfers); the same idempotencyKey given twice replays the first transfer', async () => {
    const payApi = sdk();
    const description = `sdk keys ${randomUUID()}`;
    const input = { source_account_id: current(), destination_account_id: savings(), amount: '1.00', currency: 'CNY', description };
    const first = await payApi.transfers.create(input);
    const second = await payApi.transfers.create(input);
    expect(second.id).not.toBe(first.id);
    const key = randomUUID();
    const mine = await payApi.transfers.create(input, { idempotencyKey: key });
    const again = await payApi.transfers.create(input, { idempotencyKey: key });
    expect(again).toEqual(mine);
    expect((await booked(description)).map((row) => row.id).sort()).toEqual([first.id, second.id, mine.id].sort());
  });
});

describe('history with for await', () => {
  test('yields every transaction across pages, newest first, each once, as one large page lists them', async () => {
    const payApi = sdk();
    for (let index = 0; index < 5; index += 1) {
      await payApi.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: `0.0${index + 1}`, currency: 'CNY', description: `page ${index}` });
    }
    const all = (await payApi.raw.GET('/v1/accounts/{account_id}/transactions', { params: { path: { account_id: current() }, query: { limit: 100 } } })).data?.data ?? [];
    expect(all.length).toBeGreaterThanOrEqual(6);
    proxy.seen.length = 0;
    const seen: Transaction[] = [];
    for await (const transaction of payApi.accounts.transactions(current(), { pageSize: 2 })) seen.push(transaction);
    expect(seen).toEqual(all);
    expect(proxy.seen.filter((request) => request.path.includes('/transactions'))).toHaveLength(Math.ceil(all.length / 2));
    expect(proxy.seen[1]?.path).toMatch(/[?&]cursor=/);
  });

  test('leaving the loop early fetches no further page', async () => {
    const payApi = sdk();
    const firstThree: string[] = [];
    for await (const transaction of payApi.accounts.transactions(current(), { pageSize: 2 })) {
      firstThree.push(transaction.id);
      if (firstThree.length === 3) break;
    }
    expect(firstThree).toHaveLength(3);
    expect(proxy.seen).toHaveLength(2);
  });

  test('from and to (with an offset, + encoded) narrow the window; a bad cursor is a PayApiProblem at the first step', async () => {
    const payApi = sdk();
    const future: Transaction[] = [];
    for await (const transaction of payApi.accounts.transactions(current(), { from: '2999-01-01T00:00:00+08:00' })) future.push(transaction);
    expect(future).toEqual([]);
    const iterator = payApi.accounts.transactions(current(), { cursor: 'not-a-cursor' });
    await expect(iterator.next()).rejects.toMatchObject({ name: 'PayApiProblem', status: 400, code: 'invalid_cursor' });
  });
});

describe('retries', () => {
  test('a 503 after the API booked the transfer: the retry with the same Idempotency-Key replays it, one transfer is booked', async () => {
    const payApi = sdk();
    const description = `sdk 503 ${randomUUID()}`;
    const before = await balanceMinor(current());
    proxy.plan({ kind: 'forward_then_unavailable' });
    const transfer = await payApi.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '3.21', currency: 'CNY', description });
    const posts = proxy.seen.filter((seen) => seen.method === 'POST');
    expect(posts.map((seen) => [seen.fault, seen.upstreamStatus])).toEqual([['forward_then_unavailable', 201], ['pass', 201]]);
    expect(posts[1]?.idempotencyKey).toBe(posts[0]?.idempotencyKey);
    expect(notices).toEqual([expect.objectContaining({ reason: 'service_unavailable', status: 503, attempt: 1, idempotencyKey: posts[0]?.idempotencyKey })]);
    expect(await booked(description)).toEqual([{ id: transfer.id, amount_minor: '321' }]);
    expect(await balanceMinor(current())).toBe(before - 321n);
  });

  test('a connection dropped after the API booked the transfer: retried with the same key, one transfer is booked', async () => {
    const payApi = sdk();
    const description = `sdk drop ${randomUUID()}`;
    const before = await balanceMinor(current());
    proxy.plan({ kind: 'forward_then_drop' });
    const transfer = await payApi.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '2.50', currency: 'CNY', description });
    expect(proxy.seen.map((seen) => seen.upstreamStatus)).toEqual([201, 201]);
    expect(proxy.seen[1]?.idempotencyKey).toBe(proxy.seen[0]?.idempotencyKey);
    expect(notices.map((notice) => notice.reason)).toEqual(['network_error']);
    expect(await booked(description)).toEqual([{ id: transfer.id, amount_minor: '250' }]);
    expect(await balanceMinor(current())).toBe(before - 250n);
  });

  test('409 idempotency_key_in_flight: the repeat waits and retries until the first attempt finished, then gets its transfer', async () => {
    const payApi = sdk();
    const description = `sdk in flight ${randomUUID()}`;
    const input = { source_account_id: current(), destination_account_id: savings(), amount: '4.44', currency: 'CNY', description };
    const key = randomUUID();
    // Hold the source account's row: the first call takes the key's lock, then waits for the row.
    const lock = await api.db.transaction();
    await lock.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [current()]);
    const first = payApi.transfers.create(input, { idempotencyKey: key });
    for (let polls = 0; ; polls += 1) {
      const { rows } = await api.db.raw<{ rows: Array<{ waiting: number }> }>("SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'");
      if ((rows[0]?.waiting ?? 0) > 0) break;
      if (polls > 500) throw new Error('the first call never waited for the lock');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const repeat = payApi.transfers.create(input, { idempotencyKey: key });
    for (let polls = 0; notices.length === 0; polls += 1) {
      if (polls > 500) throw new Error('the repeat was never told idempotency_key_in_flight');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await lock.commit();
    const [made, replayed] = await Promise.all([first, repeat]);
    expect(notices[0]).toMatchObject({ reason: 'idempotency_key_in_flight', status: 409, idempotencyKey: key });
    expect(replayed).toEqual(made);
    expect(await booked(description)).toEqual([{ id: made.id, amount_minor: '444' }]);
  });

  test('429 with Retry-After: 1 waits the second it asks for, then succeeds', async () => {
    const payApi = sdk();
    proxy.plan({ kind: 'rate_limited', retryAfter: '1' });
    const started = performance.now();
    const accounts = await payApi.accounts.list();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(accounts.map((account) => account.id)).toEqual(alice.accounts.map((account) => account.id));
    expect(notices).toEqual([expect.objectContaining({ reason: 'rate_limited', status: 429, delayMs: 1_000 })]);
    expect(proxy.seen.map((seen) => seen.fault)).toEqual(['rate_limited', 'pass']);
  });

  test('429 with a Retry-After longer than maxRetryAfterMs is not waited for: the PayApiProblem carries retryAfterSeconds', async () => {
    const payApi = sdk();
    proxy.plan({ kind: 'rate_limited', retryAfter: '3600' });
    const error = await payApi.accounts.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayApiProblem);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 3600 });
    expect(proxy.seen).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  test('a 503 on a read is retried; a 503 on a POST without Idempotency-Key is not (it might have been done)', async () => {
    const payApi = sdk();
    proxy.plan({ kind: 'unavailable' }, { kind: 'unavailable' });
    expect(await payApi.accounts.get(current())).toMatchObject({ id: current() });
    expect(proxy.seen.map((seen) => seen.fault)).toEqual(['unavailable', 'unavailable', 'pass']);
    expect(notices.map((notice) => notice.reason)).toEqual(['service_unavailable', 'service_unavailable']);

    const again = sdk();
    proxy.plan({ kind: 'unavailable' });
    const error = await again.webhookEndpoints.create({ url: 'https://partner.example/hooks', event_types: ['transfer.completed'] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'PayApiProblem', status: 503 });
    expect(proxy.seen).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  test('gives up after maxAttempts: a 503 every time is thrown as the last PayApiProblem', async () => {
    const payApi = sdk({ retry: { maxAttempts: 3, baseDelayMs: 1 } });
    proxy.plan({ kind: 'unavailable' }, { kind: 'unavailable' }, { kind: 'unavailable' });
    await expect(payApi.accounts.list()).rejects.toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(proxy.seen).toHaveLength(3);
    expect(notices.map((notice) => notice.attempt)).toEqual([1, 2]);
    // With maxAttempts 1 a single 503 is final.
    const once = sdk({ retry: { maxAttempts: 1 } });
    proxy.plan({ kind: 'unavailable' });
    await expect(once.accounts.list()).rejects.toMatchObject({ status: 503 });
    expect(proxy.seen).toHaveLength(1);
  });

  test('no answer at all: PayApiConnectionError after maxAttempts, naming the attempts', async () => {
    const closed = await startFaultyProxy(api.url);
    await closed.close();
    const payApi = createPayApi({ baseUrl: closed.url, accessToken: () => connection.accessToken, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const error = await payApi.accounts.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayApiConnectionError);
    expect(error).toMatchObject({ attempts: 2 });
  });

  test('retry options out of range are refused when the client is made', () => {
    expect(() => createPayApi({ baseUrl: api.url, accessToken: () => '', retry: { maxAttempts: 0 } })).toThrow(RangeError);
    expect(() => createPayApi({ baseUrl: api.url, accessToken: () => '', retry: { baseDelayMs: -1 } })).toThrow(RangeError);
  });
});

describe('errors', () => {
  test('a 4xx is final: insufficient_funds is thrown at once as a PayApiProblem with status, code, detail, type, title and the interaction id', async () => {
    const payApi = sdk();
    const description = `sdk refused ${randomUUID()}`;
    const error = await payApi.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '99999999.00', currency: 'CNY', description })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayApiProblem);
    const problem = error as PayApiProblem;
    expect([problem.status, problem.code, problem.title]).toEqual([422, 'insufficient_funds', 'Unprocessable Content']);
    expect(problem.detail).toMatch(/balance/);
    expect(problem.type).toMatch(/insufficient_funds$/);
    expect(problem.interactionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(problem.message).toBe(`422 insufficient_funds: ${problem.detail}`);
    expect(proxy.seen).toHaveLength(1);
    expect(notices).toEqual([]);
    expect(await booked(description)).toEqual([]);
  });

  test('404 for an account outside the consent, 401 for a bad token: neither retried', async () => {
    const payApi = sdk();
    await expect(payApi.accounts.balance('acc_00000000000000000000000000000000')).rejects.toMatchObject({ status: 404, code: 'account_not_found' });
    const stranger = sdk({ accessToken: () => 'not-a-token' });
    await expect(stranger.accounts.list()).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    expect(proxy.seen).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  test('the access token provider is asked on every attempt (a refreshed token is used by the retry)', async () => {
    const tokens = ['stale-token', connection.accessToken];
    const asked: string[] = [];
    const payApi = sdk({ accessToken: () => {
      const token = tokens.shift() ?? connection.accessToken;
      asked.push(token);
      return token;
    } });
    proxy.plan({ kind: 'unavailable' });
    expect(await payApi.accounts.list()).toHaveLength(3);
    expect(asked).toEqual(['stale-token', connection.accessToken]);
  });
});
