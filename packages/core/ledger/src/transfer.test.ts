import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { getAccount, getBalance, listAccounts, openAccount } from './accounts.ts';
import { LedgerError } from './errors.ts';
import { listPostings } from './history.ts';
import { auditLedger } from './audit.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import { getTransfer, transfer } from './transfer.ts';
import type { TransferRequest } from './types.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function refusal(request: TransferRequest): Promise<LedgerError> {
  try {
    await transfer(database.db, request);
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error('the transfer was accepted');
}

describe('transfer', () => {
  test('moves the amount, writes one debit and one credit with balance_after, and returns the transfer', async () => {
    const source = await openTestAccount(database.db, 'CNY', 10_000n);
    const destination = await openTestAccount(database.db, 'CNY', 2_500n);
    const { transfer: made, replayed } = await transfer(database.db, {
      sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1_999n, currency: 'CNY', description: 'Dinner',
    }, { clientId: 'partner-demo' });
    expect(replayed).toBe(false);
    expect(made).toMatchObject({ amountMinor: 1_999n, currency: 'CNY', status: 'completed', kind: 'transfer', clientId: 'partner-demo', description: 'Dinner' });
    expect(made.id).toMatch(/^tr_[0-9a-f]{32}$/);
    expect(made.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect((await getBalance(database.db, source.id)).balanceMinor).toBe(8_001n);
    expect((await getBalance(database.db, destination.id)).balanceMinor).toBe(4_499n);
    const [debit] = (await listPostings(database.db, { accountId: source.id, limit: 1 })).data;
    const [credit] = (await listPostings(database.db, { accountId: destination.id, limit: 1 })).data;
    expect(debit).toMatchObject({ transferId: made.id, direction: 'debit', amountMinor: 1_999n, balanceAfterMinor: 8_001n,
      counterpartyAccountId: destination.id, description: 'Dinner', bookedAt: made.createdAt });
    expect(credit).toMatchObject({ transferId: made.id, direction: 'credit', amountMinor: 1_999n, balanceAfterMinor: 4_499n,
      counterpartyAccountId: source.id, bookedAt: made.createdAt });
    expect(await getTransfer(database.db, made.id)).toEqual(made);
  });

  test('may empty an account to exactly zero', async () => {
    const source = await openTestAccount(database.db, 'JPY', 1_200n);
    const destination = await openTestAccount(database.db, 'JPY', 0n);
    await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1_200n, currency: 'JPY' });
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(0n);
  });

  test('lets an overdraft account go below zero', async () => {
    const source = await openTestAccount(database.db, 'EUR', 0n, { allowOverdraft: true });
    const destination = await openTestAccount(database.db, 'EUR', 0n);
    await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 50n, currency: 'EUR' });
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(-50n);
  });

  test('refuses more than the balance with insufficient_funds and writes nothing', async () => {
    const source = await openTestAccount(database.db, 'CNY', 100n);
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    const error = await refusal({ sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 101n, currency: 'CNY' });
    expect(error.code).toBe('insufficient_funds');
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(100n);
    expect((await listPostings(database.db, { accountId: destination.id })).data).toEqual([]);
  });

  test('refuses accounts of different currencies, or a currency other than theirs, with currency_mismatch', async () => {
    const yuan = await openTestAccount(database.db, 'CNY', 10_000n);
    const euro = await openTestAccount(database.db, 'EUR', 10_000n);
    const yuan2 = await openTestAccount(database.db, 'CNY', 0n);
    expect((await refusal({ sourceAccountId: yuan.id, destinationAccountId: euro.id, amountMinor: 1n, currency: 'CNY' })).code).toBe('currency_mismatch');
    expect((await refusal({ sourceAccountId: yuan.id, destinationAccountId: yuan2.id, amountMinor: 1n, currency: 'USD' })).code).toBe('currency_mismatch');
    expect((await getAccount(database.db, yuan.id)).balanceMinor).toBe(10_000n);
  });

  test('refuses the same account on both sides, zero and negative amounts, and unknown currencies', async () => {
    const account = await openTestAccount(database.db, 'CNY', 10_000n);
    const other = await openTestAccount(database.db, 'CNY', 0n);
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: account.id, amountMinor: 1n, currency: 'CNY' })).code).toBe('same_account');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 0n, currency: 'CNY' })).code).toBe('invalid_amount');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: -5n, currency: 'CNY' })).code).toBe('invalid_amount');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 10n ** 17n, currency: 'CNY' })).code).toBe('invalid_amount');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 1n, currency: 'XXX' })).code).toBe('unsupported_currency');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 1n, currency: 'CNY', description: 'x'.repeat(141) })).code).toBe('invalid_request');
    expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 1n, currency: 'CNY', description: 'a\u0000b' })).code).toBe('invalid_request');
    for (const description of ['pay \ud800 x', 'Refund \u202egnp.exe', 'x\u2066y', '\udc00']) {
      expect((await refusal({ sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 1n, currency: 'CNY', description })).code).toBe('invalid_request');
    }
    await expect(transfer(database.db, { sourceAccountId: account.id, destinationAccountId: other.id, amountMinor: 1n, currency: 'CNY' },
      { clientId: 'partner\ud800', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await getAccount(database.db, account.id)).balanceMinor).toBe(10_000n);
  });

  test('answers account_not_found for unknown, malformed and system (funding) accounts', async () => {
    const account = await openTestAccount(database.db, 'CNY', 10_000n);
    const { rows } = await database.db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM ledger.accounts WHERE type = 'funding' AND currency = 'CNY'`);
    const fundingId = rows[0]?.id as string;
    for (const [sourceAccountId, destinationAccountId] of [
      [account.id, 'acc_00000000000000000000000000000000'],
      ['acc_00000000000000000000000000000000', account.id],
      [account.id, "acc_1' OR '1'='1"],
      [account.id, fundingId],
      [fundingId, account.id],
    ] as const) {
      expect((await refusal({ sourceAccountId, destinationAccountId, amountMinor: 1n, currency: 'CNY' })).code).toBe('account_not_found');
    }
    await expect(getAccount(database.db, fundingId)).rejects.toMatchObject({ code: 'account_not_found' });
    await expect(getTransfer(database.db, 'tr_nope')).rejects.toMatchObject({ code: 'transfer_not_found' });
  });
});

describe('transfer under concurrency', () => {
  test('of 20 parallel 80.00 transfers from a balance of 100.00 exactly one succeeds, 19 get insufficient_funds', async () => {
    const source = await openTestAccount(database.db, 'CNY', 10_000n);
    const destinations = await Promise.all(Array.from({ length: 20 }, () => openTestAccount(database.db, 'CNY', 0n)));
    const outcomes = await Promise.allSettled(destinations.map((destination) =>
      transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 8_000n, currency: 'CNY' })));
    const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const codes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as LedgerError).code] : []));
    expect(fulfilled).toHaveLength(1);
    expect(codes).toEqual(Array.from({ length: 19 }, () => 'insufficient_funds'));
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(2_000n);
    const credited = await Promise.all(destinations.map(async (destination) => (await getAccount(database.db, destination.id)).balanceMinor));
    expect(credited.filter((balance) => balance === 8_000n)).toHaveLength(1);
    expect(credited.reduce((sum, balance) => sum + balance, 0n)).toBe(8_000n);
  });

  test('200 concurrent transfers between two accounts in both directions: no error reaches the caller, no deadlock, money is conserved', async () => {
    const a = await openTestAccount(database.db, 'CNY', 1_000_000n);
    const b = await openTestAccount(database.db, 'CNY', 1_000_000n);
    const deadlocksBefore = await deadlockCount();
    const amounts = Array.from({ length: 200 }, (_, index) => BigInt(1 + (index % 7) * 13));
    const outcomes = await Promise.allSettled(amounts.map((amountMinor, index) => {
      const [from, to] = index % 2 === 0 ? [a, b] : [b, a];
      return transfer(database.db, { sourceAccountId: from.id, destinationAccountId: to.id, amountMinor, currency: 'CNY' });
    }));
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures).toEqual([]);
    const expectedA = amounts.reduce((balance, amount, index) => (index % 2 === 0 ? balance - amount : balance + amount), 1_000_000n);
    const finalA = (await getAccount(database.db, a.id)).balanceMinor;
    const finalB = (await getAccount(database.db, b.id)).balanceMinor;
    expect(finalA).toBe(expectedA);
    expect(finalA + finalB).toBe(2_000_000n);
    expect(await deadlockCount()).toBe(deadlocksBefore);
    const audit = await auditLedger(database.db);
    expect(audit).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
  });

  async function deadlockCount(): Promise<number> {
    const { rows } = await database.db.raw<{ rows: Array<{ deadlocks: string }> }>(
      `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`);
    return Number(rows[0]?.deadlocks);
  }
});

describe('account opening and listing refuse text that would be stored as something else', () => {
  test('names that show nothing, and owner subjects with unpaired surrogates or NUL bytes', async () => {
    for (const name of ['\u200b', '\ufeff\u2800', '   ', 'Savings\u202e', 'a\ud800', 'x'.repeat(101)]) {
      await expect(openAccount(database.db, { ownerSubject: 'sub-1', name, type: 'current', currency: 'CNY' }))
        .rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(openAccount(database.db, { ownerSubject: 'sub\ud800', name: 'Ok', type: 'current', currency: 'CNY' }))
      .rejects.toMatchObject({ code: 'invalid_request' });
    await expect(listAccounts(database.db, 'x\u0000y')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(listAccounts(database.db, 'sub\udbff')).rejects.toMatchObject({ code: 'invalid_request' });
    const emoji = await openAccount(database.db, { ownerSubject: 'sub-emoji', name: '\u{1F468}\u200D\u{1F469} Family 家庭', type: 'savings', currency: 'CNY' });
    expect((await listAccounts(database.db, 'sub-emoji')).map((account) => account.name)).toEqual([emoji.name]);
  });
});

describe('getBalance', () => {
  test('answers the balance, and with ownerSubject only to the owner: anyone else gets account_not_found', async () => {
    const account = await openTestAccount(database.db, 'CNY', 4_200n);
    expect((await getBalance(database.db, account.id, { ownerSubject: account.ownerSubject as string })).balanceMinor).toBe(4_200n);
    await expect(getBalance(database.db, account.id, { ownerSubject: 'someone-else' })).rejects.toMatchObject({ code: 'account_not_found' });
    const balance = await getBalance(database.db, account.id);
    expect(balance).toEqual({ accountId: account.id, balanceMinor: 4_200n, currency: 'CNY', asOf: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) });
  });
});
