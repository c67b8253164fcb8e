import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { LedgerError, auditLedger, getBalance, openAccount, preparePostTransfer } from '@payapi/ledger';
import type { Account, PostTransferArguments } from '@payapi/ledger';
import { Histogram, Registry } from 'prom-client';
import { TRANSFER_QUEUE_BATCHES_MAX, createTransferBooker } from '../routes/transfer-batches.ts';
import type { BookingAnswer } from '../routes/transfer-batches.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

/** Ten users with five CNY accounts each, every one consented: 50 accounts. */
const USERS = 10;
const EXTRA_ACCOUNTS = 3;

interface Member {
  user: Alice;
  accounts: Account[];
  connection: Connection;
}

let api: TestApi;
let members: Member[];
let everyAccount: Account[];

beforeAll(async () => {
  api = await startTestApi((config) => ({
    ...config,
    rateLimits: { perClientPerMinute: 100_000, perAddressPerMinute: 100_000 },
    transferBatches: { batchMax: 64, inFlightMax: 2 },
  }));
  members = [];
  for (let index = 0; index < USERS; index += 1) {
    const user = await seedUser(api.auth, `batch-user-${index}`, `batch-password-${index}`);
    const accounts = user.accounts.filter((account) => account.currency === 'CNY');
    for (let extra = 0; extra < EXTRA_ACCOUNTS; extra += 1) {
      // Small or empty balances, so that some transfers are refused for insufficient funds.
      accounts.push(await openAccount(api.auth.database.db, {
        ownerSubject: user.sub, name: `Batch ${index}.${extra}`, type: 'current', currency: 'CNY', openingBalanceMinor: BigInt(extra * 20_000),
      }));
    }
    members.push({ user, accounts, connection: await connect(api, user, { accountIds: accounts.map((account) => account.id) }) });
  }
  everyAccount = members.flatMap((member) => member.accounts);
}, 120_000);
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** `transfer_batch_size` count and sum from the API's /metrics. */
async function batchSizes(): Promise<{ count: number; sum: number }> {
  const text = String((await call(api, 'GET', '/metrics')).body);
  const read = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { count: read('transfer_batch_size_count'), sum: read('transfer_batch_size_sum') };
}

describe('POST /v1/transfers booked in batches', () => {
  test('1,000 concurrent transfers over 50 accounts in both directions, with refusals and reused keys: no deadlock reaches a caller, money exact, each key booked once', async () => {
    const db = api.auth.database.db;
    const before = new Map(await Promise.all(everyAccount.map(async (account) => [account.id, (await getBalance(db, account.id)).balanceMinor] as const)));
    const sizesBefore = await batchSizes();
    type Sent = { key: string; member: Member; body: { source_account_id: string; destination_account_id: string; amount: string; currency: string } };
    const sent: Sent[] = [];
    for (let index = 0; index < 1_000; index += 1) {
      const member = members[index % USERS] as Member;
      const source = member.accounts[(index * 7) % member.accounts.length] as Account;
      let destination = everyAccount[(index * 31 + 5) % everyAccount.length] as Account;
      if (destination.id === source.id) destination = everyAccount[(index * 31 + 6) % everyAccount.length] as Account;
      // Every 25th repeats an earlier key of the same client with the same body (a replay), every 40th with another body (reused).
      const earlier = index >= 50 && index % 25 === 0 ? sent[index - 50] : index >= 50 && index % 40 === 0 ? sent[index - 50] : undefined;
      const amount = `${(index % 7) * 100 + 1}.${String(index % 100).padStart(2, '0')}`;
      const body = { source_account_id: source.id, destination_account_id: destination.id, amount, currency: 'CNY' };
      if (earlier && index % 25 === 0) sent.push({ ...earlier });
      else if (earlier) sent.push({ key: earlier.key, member: earlier.member, body: { ...earlier.body, amount: '0.01' } });
      else sent.push({ key: `batch-${process.pid}-${index}`, member, body });
    }
    const answers = await Promise.all(sent.map((request) => call(api, 'POST', '/v1/transfers', {
      token: request.member.connection.accessToken, json: request.body, headers: { 'idempotency-key': request.key },
    })));
    const outcomes = new Map<string, number>();
    for (const answer of answers) {
      const outcome = answer.status === 201 ? `201${answer.headers.get('idempotent-replayed') === 'true' ? ' replayed' : ''}` : `${answer.status} ${answer.body.code}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // Only these answers: no 5xx, no ledger_busy, no deadlock.
    expect([...outcomes.keys()].sort()).toEqual(expect.arrayContaining(['201', '422 insufficient_funds']));
    for (const outcome of outcomes.keys()) {
      expect(['201', '201 replayed', '422 insufficient_funds', '422 idempotency_key_reused', '409 idempotency_key_in_flight']).toContain(outcome);
    }
    // Each key booked once: one transfer per key among the fresh 201s, and replays name that transfer.
    const bookedByKey = new Map<string, string>();
    answers.forEach((answer, index) => {
      const { key } = sent[index] as Sent;
      if (answer.status !== 201 || answer.headers.get('idempotent-replayed') === 'true') return;
      expect(bookedByKey.has(key)).toBe(false);
      bookedByKey.set(key, answer.body.id as string);
    });
    answers.forEach((answer, index) => {
      if (answer.status === 201 && answer.headers.get('idempotent-replayed') === 'true') expect(answer.body.id).toBe(bookedByKey.get((sent[index] as Sent).key));
    });
    const clientIds = members.map((member) => member.connection.registered.client_id);
    const { rows } = await db.raw<{ rows: Array<{ n: number }> }>(
      'SELECT count(*)::int AS n FROM ledger.transfers WHERE client_id = ANY (?)', [clientIds]);
    expect(rows[0]?.n).toBe(bookedByKey.size);
    // Every balance moved by exactly the booked transfers, and none went below zero.
    const expected = new Map(before);
    answers.forEach((answer) => {
      if (answer.status !== 201 || answer.headers.get('idempotent-replayed') === 'true') return;
      const minor = BigInt(String(answer.body.amount).replace('.', ''));
      expected.set(answer.body.source_account_id, (expected.get(answer.body.source_account_id) as bigint) - minor);
      expected.set(answer.body.destination_account_id, (expected.get(answer.body.destination_account_id) as bigint) + minor);
    });
    for (const account of everyAccount) {
      expect((await getBalance(db, account.id)).balanceMinor).toBe(expected.get(account.id));
    }
    expect(await auditLedger(db)).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
    // And the transfers did go in batches: more transfers than database calls.
    const sizesAfter = await batchSizes();
    expect(sizesAfter.sum - sizesBefore.sum).toBe(1_000);
    expect(sizesAfter.count - sizesBefore.count).toBeLessThan(1_000);
  }, 120_000);

  test('a batch where one transfer is refused and one grant is revoked books the others, each answered on its own', async () => {
    const db = api.auth.database.db;
    const registry = new Registry();
    const sizes = new Histogram({ name: 'test_batch_size', help: 'sizes', buckets: [1, 2, 3, 4], registers: [registry] });
    const booker = createTransferBooker(api.db, { batchMax: 64, inFlightMax: 1 }, sizes);
    const member = members[0] as Member;
    const [rich, , empty] = member.accounts as [Account, Account, Account];
    const other = (members[1] as Member).accounts[0] as Account;
    const jti = (JSON.parse(Buffer.from(member.connection.accessToken.split('.')[1] as string, 'base64url').toString('utf8')) as { jti: string }).jti;
    const args = (source: Account, amountMinor: bigint): PostTransferArguments => preparePostTransfer(
      { sourceAccountId: source.id, destinationAccountId: other.id, amountMinor, currency: 'CNY' },
      { clientId: member.connection.registered.client_id, subject: member.user.sub, idempotencyKey: `one-refused-${amountMinor}-${Math.random()}`, sourceOwnerSubject: member.user.sub });
    const balanceBefore = (await getBalance(db, other.id)).balanceMinor;
    const settle = (promise: Promise<BookingAnswer>): Promise<string> => promise.then(
      (answer) => ('refused' in answer ? answer.refused : `booked ${answer.transfer.amountMinor}`),
      (error: unknown) => (error instanceof LedgerError ? error.code : `error ${String(error)}`));
    // The first goes at once (the only slot); the next four wait for it and go together.
    const outcomes = await Promise.all([
      settle(booker.book(jti, args(rich, 101n))),
      settle(booker.book(jti, args(rich, 202n))),
      settle(booker.book(jti, args(empty, 999_999_999n))),
      settle(booker.book('a-token-that-was-never-issued', args(rich, 303n))),
      settle(booker.book(jti, args(rich, 404n))),
    ]);
    expect(outcomes).toEqual(['booked 101', 'booked 202', 'insufficient_funds', 'grant_revoked', 'booked 404']);
    expect((await getBalance(db, other.id)).balanceMinor).toBe(balanceBefore + 101n + 202n + 404n);
    const observed = (await sizes.get()).values.filter((value) => value.metricName === 'test_batch_size_sum' || value.metricName === 'test_batch_size_count')
      .map((value) => [value.metricName, value.value]);
    expect(Object.fromEntries(observed)).toEqual({ test_batch_size_sum: 5, test_batch_size_count: 2 });
  });

  test('a batch with an account held elsewhere: its other transfers are booked while the lock is held, the busy one after', async () => {
    const db = api.auth.database.db;
    const member = members[2] as Member;
    const [rich, savings] = member.accounts as [Account, Account];
    const busy = (members[3] as Member).accounts[4] as Account;
    const free = (members[4] as Member).accounts[4] as Account;
    const jti = (JSON.parse(Buffer.from(member.connection.accessToken.split('.')[1] as string, 'base64url').toString('utf8')) as { jti: string }).jti;
    const args = (source: Account, destination: Account, amountMinor: bigint): PostTransferArguments => preparePostTransfer(
      { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor, currency: 'CNY' },
      { clientId: member.connection.registered.client_id, subject: member.user.sub, idempotencyKey: `busy-${amountMinor}-${Math.random()}`, sourceOwnerSubject: member.user.sub });
    const booker = createTransferBooker(api.db, { batchMax: 64, inFlightMax: 1 });
    const busyBefore = (await getBalance(db, busy.id)).balanceMinor;
    const settled: string[] = [];
    const track = (name: string, promise: Promise<BookingAnswer>): Promise<void> => promise.then(() => { settled.push(name); });
    const holder = await db.transaction();
    let all: Promise<void[]>;
    try {
      await holder.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [busy.id]);
      all = Promise.all([
        track('first', booker.book(jti, args(rich, savings, 1n))), // alone: the slot is free
        // With the next two in one batch. It shares no account with them: a transfer waiting for the busy
        // account holds its other account meanwhile, so one sharing that account would wait too.
        track('busy', booker.book(jti, args(savings, busy, 2n))),
        track('free-1', booker.book(jti, args(rich, free, 3n))),
        track('free-2', booker.book(jti, args(rich, free, 4n))),
      ]);
      // The batch waits a second for the busy account, then goes one by one: the free ones do not wait for it.
      for (let waited = 0; settled.length < 3 && waited < 100; waited += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...settled].sort()).toEqual(['first', 'free-1', 'free-2']);
    } finally {
      await holder.rollback();
    }
    await all;
    expect(settled[3]).toBe('busy');
    expect((await getBalance(db, busy.id)).balanceMinor).toBe(busyBefore + 2n);
  }, 30_000);

  test(`no more than batchMax x ${TRANSFER_QUEUE_BATCHES_MAX} transfers wait: the next are refused at once with ledger_busy`, async () => {
    const db = api.auth.database.db;
    const member = members[5] as Member;
    const [rich, savings] = member.accounts as [Account, Account];
    const busy = (members[6] as Member).accounts[4] as Account;
    const jti = (JSON.parse(Buffer.from(member.connection.accessToken.split('.')[1] as string, 'base64url').toString('utf8')) as { jti: string }).jti;
    const args = (destination: Account, amountMinor: bigint): PostTransferArguments => preparePostTransfer(
      { sourceAccountId: rich.id, destinationAccountId: destination.id, amountMinor, currency: 'CNY' },
      { clientId: member.connection.registered.client_id, subject: member.user.sub, idempotencyKey: `queue-${amountMinor}-${Math.random()}`, sourceOwnerSubject: member.user.sub });
    const booker = createTransferBooker(api.db, { batchMax: 2, inFlightMax: 1 });
    const capacity = 2 * TRANSFER_QUEUE_BATCHES_MAX;
    const holder = await db.transaction();
    const outcomes: Array<Promise<string>> = [];
    const settle = (promise: Promise<BookingAnswer>): Promise<string> => promise.then(() => 'booked', (error: unknown) => (error instanceof LedgerError ? error.code : String(error)));
    try {
      await holder.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [busy.id]);
      outcomes.push(settle(booker.book(jti, args(busy, 1n)))); // holds the only slot until the lock goes
      for (let index = 0; index < capacity + 5; index += 1) outcomes.push(settle(booker.book(jti, args(savings, BigInt(10 + index)))));
      const refusedAtOnce = await Promise.race([Promise.all(outcomes.slice(capacity + 1)), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500))]);
      expect(refusedAtOnce).toEqual(Array(5).fill('ledger_busy'));
    } finally {
      await holder.rollback();
    }
    const results = await Promise.all(outcomes);
    expect(results.filter((result) => result === 'booked')).toHaveLength(capacity + 1);
  }, 30_000);
});
