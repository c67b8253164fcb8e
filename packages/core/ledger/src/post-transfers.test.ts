import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { getBalance } from './accounts.ts';
import { auditLedger } from './audit.ts';
import { LedgerError } from './errors.ts';
import { listPostings } from './history.ts';
import { postTransferResult, preparePostTransfer, toPostTransfersItem } from './post-transfer.ts';
import type { PostTransferAnswer, PostTransferArguments, TransferResult } from './post-transfer.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import type { Account } from './types.ts';

let database: TestDatabase;
let db: Knex;
let keyCounter = 0;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database.drop();
});

function prepare(source: Account, destination: Account, amountMinor: bigint, key: string | null = `k-${(keyCounter += 1)}`): PostTransferArguments {
  return preparePostTransfer(
    { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor, currency: source.currency },
    key === null ? {} : { clientId: 'client-batch', subject: source.ownerSubject ?? '', idempotencyKey: key, sourceOwnerSubject: source.ownerSubject ?? '' },
  );
}

/** One `ledger.post_transfers` call (its own transaction), answers read as the API reads them. */
async function postTransfers(items: readonly PostTransferArguments[]): Promise<Array<TransferResult | LedgerError>> {
  const { rows } = await db.raw<{ rows: Array<{ answers: PostTransferAnswer[] }> }>(
    'SELECT ledger.post_transfers(?::jsonb) AS answers', [JSON.stringify(items.map(toPostTransfersItem))]);
  return (rows[0]?.answers ?? []).map((answer) => {
    try {
      return postTransferResult(answer);
    } catch (error) {
      if (error instanceof LedgerError) return error;
      throw error;
    }
  });
}

describe('ledger.post_transfers', () => {
  test('a batch with one refused item books the others, each with its own outcome, in arrival order', async () => {
    const alice = await openTestAccount(db, 'CNY', 10_000n);
    const bob = await openTestAccount(db, 'CNY', 500n);
    const carol = await openTestAccount(db, 'CNY', 0n);
    const outcomes = await postTransfers([
      prepare(alice, carol, 3_000n),
      prepare(bob, carol, 900n, 'refused-in-batch'), // bob holds 500: refused alone
      prepare(alice, bob, 1_000n),
      prepare(bob, carol, 1_500n), // after the item before, bob holds 1,500: booked
    ]);
    expect(outcomes.map((outcome) => (outcome instanceof LedgerError ? outcome.code : 'booked')))
      .toEqual(['booked', 'insufficient_funds', 'booked', 'booked']);
    expect((await getBalance(db, alice.id)).balanceMinor).toBe(6_000n);
    expect((await getBalance(db, bob.id)).balanceMinor).toBe(0n);
    expect((await getBalance(db, carol.id)).balanceMinor).toBe(4_500n);
    // History: newest first, balance_after consistent with the order of booking.
    const carolHistory = await listPostings(db, { accountId: carol.id });
    expect(carolHistory.data.map((posting) => [posting.direction, posting.amountMinor, posting.balanceAfterMinor]))
      .toEqual([['credit', 1_500n, 4_500n], ['credit', 3_000n, 3_000n]]);
    const bobHistory = await listPostings(db, { accountId: bob.id });
    expect(bobHistory.data.map((posting) => [posting.direction, posting.amountMinor, posting.balanceAfterMinor]).slice(0, 2))
      .toEqual([['debit', 1_500n, 0n], ['credit', 1_000n, 1_500n]]);
    // The refusal is stored under its key like a refusal booked alone: replaying the key replays it.
    const [replay] = await postTransfers([prepare(bob, carol, 900n, 'refused-in-batch')]);
    expect(replay).toBeInstanceOf(LedgerError);
    expect((replay as LedgerError).code).toBe('insufficient_funds');
    expect((replay as LedgerError).replayed).toBe(true);
  });

  test('two items with one key in a batch: the second replays the first (booked once)', async () => {
    const alice = await openTestAccount(db, 'CNY', 10_000n);
    const bob = await openTestAccount(db, 'CNY', 0n);
    const first = prepare(alice, bob, 700n, 'same-key');
    const [booked, replayed] = await postTransfers([first, { ...prepare(alice, bob, 700n, 'same-key') }]);
    expect(booked).toMatchObject({ replayed: false, transfer: { id: first.transferId } });
    expect(replayed).toMatchObject({ replayed: true, transfer: { id: first.transferId } });
    expect((await getBalance(db, bob.id)).balanceMinor).toBe(700n);
  });

  test('ledger.lock_transfer_accounts: an account held elsewhere past the wait answers false, holds nothing, restores lock_timeout', async () => {
    const alice = await openTestAccount(db, 'CNY', 10_000n);
    const busy = await openTestAccount(db, 'CNY', 0n);
    const other = await openTestAccount(db, 'CNY', 0n);
    const items = JSON.stringify([prepare(alice, other, 100n), prepare(alice, busy, 200n)].map(toPostTransfersItem));
    const holder = await db.transaction();
    const caller = await db.transaction();
    try {
      await holder.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [busy.id]);
      const { rows } = await caller.raw<{ rows: Array<{ locked: boolean }> }>('SELECT ledger.lock_transfer_accounts(?::jsonb, 300) AS locked', [items]);
      expect(rows[0]?.locked).toBe(false);
      expect((await caller.raw<{ rows: Array<{ lock_timeout: string }> }>(`SELECT current_setting('lock_timeout') AS lock_timeout`)).rows[0]?.lock_timeout).toBe('0');
      // It holds none of them: another transaction takes alice's and other's at once.
      const { rows: free } = await db.raw<{ rows: unknown[] }>('SELECT 1 FROM ledger.accounts WHERE id IN (?, ?) FOR UPDATE NOWAIT', [alice.id, other.id]);
      expect(free).toHaveLength(2);
    } finally {
      await caller.rollback();
      await holder.rollback();
    }
    const again = await db.transaction();
    try {
      const { rows } = await again.raw<{ rows: Array<{ locked: boolean }> }>('SELECT ledger.lock_transfer_accounts(?::jsonb, 300) AS locked', [items]);
      expect(rows[0]?.locked).toBe(true);
      // Held now: another transaction cannot take them.
      await expect(db.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE NOWAIT', [busy.id])).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await again.rollback();
    }
  });

  test('an empty batch answers an empty array; anything but an array is refused', async () => {
    expect(await postTransfers([])).toEqual([]);
    await expect(db.raw('SELECT ledger.post_transfers(?::jsonb)', ['{"a": 1}'])).rejects.toMatchObject({ code: '22023' });
  });

  test('1,000 transfers over 50 accounts in both directions, 50 batches of 20 at once: no deadlock, money conserved, each key once', async () => {
    const accounts: Account[] = [];
    for (let index = 0; index < 50; index += 1) accounts.push(await openTestAccount(db, 'CNY', index % 5 === 0 ? 0n : 20_000n));
    const before = await Promise.all(accounts.map(async (account) => (await getBalance(db, account.id)).balanceMinor));
    const batches: PostTransferArguments[][] = [];
    let sequence = 0;
    for (let batch = 0; batch < 50; batch += 1) {
      const items: PostTransferArguments[] = [];
      for (let index = 0; index < 20; index += 1) {
        sequence += 1;
        // Pairs in both directions (a->b in one batch, b->a in another); every fifth account starts empty, so some are refused.
        const a = accounts[(sequence * 7) % 50] as Account;
        let b = accounts[(sequence * 13 + batch) % 50] as Account;
        if (b.id === a.id) b = accounts[(sequence * 13 + batch + 1) % 50] as Account;
        const [source, destination] = sequence % 2 === 0 ? [a, b] : [b, a];
        items.push(prepare(source, destination, BigInt(100 + (sequence % 900)), `bulk-${sequence}`));
      }
      batches.push(items);
    }
    // The test pool holds 20 connections: up to 20 batches at the database at once.
    const results = await Promise.all(batches.map((items) => postTransfers(items)));
    const flat = results.flat();
    const refused = flat.filter((outcome): outcome is LedgerError => outcome instanceof LedgerError);
    const booked = flat.filter((outcome): outcome is TransferResult => !(outcome instanceof LedgerError));
    expect(flat).toHaveLength(1_000);
    expect(new Set(refused.map((error) => error.code))).toEqual(new Set(['insufficient_funds']));
    expect(refused.length).toBeGreaterThan(0);
    expect(booked.length).toBeGreaterThan(500);
    // Each key booked once: one transfer per booked key, the ids the items were given.
    const ids = booked.map((outcome) => outcome.transfer.id);
    expect(new Set(ids).size).toBe(booked.length);
    const { rows } = await db.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM ledger.idempotency_records WHERE client_id = 'client-batch' AND idempotency_key LIKE 'bulk-%'`);
    expect(rows[0]?.n).toBe(1_000);
    // Every account moved by exactly what its booked transfers say, and no balance went below zero.
    const expected = new Map(accounts.map((account, index) => [account.id, before[index] as bigint]));
    for (const { transfer } of booked) {
      expected.set(transfer.sourceAccountId, (expected.get(transfer.sourceAccountId) as bigint) - transfer.amountMinor);
      expected.set(transfer.destinationAccountId, (expected.get(transfer.destinationAccountId) as bigint) + transfer.amountMinor);
    }
    for (const account of accounts) {
      const balance = (await getBalance(db, account.id)).balanceMinor;
      expect(balance).toBe(expected.get(account.id));
      expect(balance >= 0n).toBe(true);
    }
    const audit = await auditLedger(db);
    expect(audit).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
  });
});
