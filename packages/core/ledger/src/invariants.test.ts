import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { auditLedger } from './audit.ts';
import { newId } from './ids.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import { transfer } from './transfer.ts';
import type { Account } from './types.ts';

let database: TestDatabase;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
  alice = await openTestAccount(database.db, 'CNY', 10_000n);
  bob = await openTestAccount(database.db, 'CNY', 0n);
});
afterAll(async () => {
  await database.drop();
});

// The database refuses what the ledger code must never do, so a bug there cannot corrupt the books.
describe('invariants the database enforces', () => {
  test('transfers and postings cannot be updated, deleted or truncated', async () => {
    const { transfer: made } = await transfer(database.db, {
      sourceAccountId: alice.id, destinationAccountId: bob.id, amountMinor: 100n, currency: 'CNY',
    });
    await expect(database.db.raw(`UPDATE ledger.transfers SET amount_minor = 1 WHERE id = ?`, [made.id])).rejects.toThrow(/append-only/);
    await expect(database.db.raw(`DELETE FROM ledger.postings WHERE transfer_id = ?`, [made.id])).rejects.toThrow(/append-only/);
    await expect(database.db.raw(`TRUNCATE ledger.postings, ledger.transfers CASCADE`)).rejects.toThrow(/append-only/);
    const { rows } = await database.db.raw<{ rows: Array<{ amount_minor: string }> }>(
      `SELECT amount_minor FROM ledger.postings WHERE transfer_id = ? ORDER BY amount_minor`, [made.id]);
    expect(rows.map((row) => row.amount_minor)).toEqual(['-100', '100']);
  });

  test('a transfer whose postings do not sum to zero is refused at commit', async () => {
    const transferId = newId('tr');
    const attempt = database.db.transaction(async (trx) => {
      await trx.raw(`INSERT INTO ledger.transfers (id, kind, source_account_id, destination_account_id, amount_minor, currency, created_at)
                     VALUES (?, 'transfer', ?, ?, 500, 'CNY', now())`, [transferId, alice.id, bob.id]);
      await trx.raw(`INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
                     VALUES (?, ?, ?, -500, 0, now()), (?, ?, ?, 499, 0, now())`,
      [newId('pst'), transferId, alice.id, newId('pst'), transferId, bob.id]);
    });
    await expect(attempt).rejects.toThrow(/not balanced/);
    const { rows } = await database.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM ledger.transfers WHERE id = ?`, [transferId]);
    expect(rows).toHaveLength(0);
  });

  test('a transfer without postings is refused at commit', async () => {
    const attempt = database.db.raw(`INSERT INTO ledger.transfers (id, kind, source_account_id, destination_account_id, amount_minor, currency, created_at)
                                     VALUES (?, 'transfer', ?, ?, 500, 'CNY', now())`, [newId('tr'), alice.id, bob.id]);
    await expect(attempt).rejects.toThrow(/not balanced/);
  });

  test('an account without overdraft cannot be set below zero', async () => {
    await expect(database.db.raw(`UPDATE ledger.accounts SET balance_minor = -1 WHERE id = ?`, [bob.id]))
      .rejects.toThrow(/accounts_no_overdraft/);
  });

  test('the audit reports a balance that no longer matches its postings', async () => {
    expect(await auditLedger(database.db)).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
    await database.db.raw(`UPDATE ledger.accounts SET balance_minor = balance_minor + 1 WHERE id = ?`, [bob.id]);
    const audit = await auditLedger(database.db);
    expect(audit.wrongBalances.map((row) => row.id)).toEqual([bob.id]);
    expect(audit.accounts).toBe(3);
    await database.db.raw(`UPDATE ledger.accounts SET balance_minor = balance_minor - 1 WHERE id = ?`, [bob.id]);
  });
});

// After the audit test above, which counts the accounts: these open more.
describe('the double-entry check, run once per transfer', () => {
  test('a posting added later to a committed transfer is refused, alone or balanced by another', async () => {
    const { transfer: made } = await transfer(database.db, {
      sourceAccountId: alice.id, destinationAccountId: bob.id, amountMinor: 100n, currency: 'CNY',
    });
    const carol = await openTestAccount(database.db, 'CNY', 0n);
    const dave = await openTestAccount(database.db, 'CNY', 0n);
    await expect(database.db.raw(`INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
                                  VALUES (?, ?, ?, 1, 0, now())`, [newId('pst'), made.id, carol.id])).rejects.toThrow(/not balanced/);
    await expect(database.db.raw(`INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
                                  VALUES (?, ?, ?, -7, 0, now()), (?, ?, ?, 7, 0, now())`,
    [newId('pst'), made.id, carol.id, newId('pst'), made.id, dave.id])).rejects.toThrow(/not balanced/);
  });

  test('an unbalanced transfer written inside a savepoint is refused at commit too', async () => {
    const transferId = newId('tr');
    const attempt = database.db.transaction(async (trx) => {
      await trx.transaction(async (savepoint) => {
        await savepoint.raw(`INSERT INTO ledger.transfers (id, kind, source_account_id, destination_account_id, amount_minor, currency, created_at)
                             VALUES (?, 'transfer', ?, ?, 500, 'CNY', now())`, [transferId, alice.id, bob.id]);
      });
      await trx.raw(`INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
                     VALUES (?, ?, ?, -500, 0, now()), (?, ?, ?, 400, 0, now())`,
      [newId('pst'), transferId, alice.id, newId('pst'), transferId, bob.id]);
    });
    await expect(attempt).rejects.toThrow(/not balanced/);
  });
});
