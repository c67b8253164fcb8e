import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { openAccount } from './accounts.ts';
import { migrateLedger } from './migrations.ts';
import type { Account } from './types.ts';

/** A test file's own database with schema `ledger` migrated. */
export async function createLedgerTestDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  await migrateLedger(database.db);
  return database;
}

let ownerCounter = 0;

/** Opens an account for a fresh owner with an opening balance in minor units. */
export async function openTestAccount(
  db: Knex,
  currency: string,
  openingBalanceMinor: bigint,
  extra: { allowOverdraft?: boolean; name?: string } = {},
): Promise<Account> {
  ownerCounter += 1;
  return openAccount(db, {
    ownerSubject: `user-${process.pid}-${ownerCounter}`,
    name: extra.name ?? `Test ${currency} ${ownerCounter}`,
    type: 'current',
    currency,
    openingBalanceMinor,
    allowOverdraft: extra.allowOverdraft ?? false,
  });
}

/**
 * Audits the whole ledger the way an auditor would, straight from the tables: per transfer, the
 * postings and their sum; per account, the stored balance against the sum of its postings and the
 * last `balance_after`; every non-overdraft balance against zero. Returns the offending rows
 * (empty arrays when the books are right).
 */
export async function auditLedger(db: Knex): Promise<{ unbalancedTransfers: unknown[]; wrongBalances: unknown[]; negativeBalances: unknown[] }> {
  const unbalanced = await db.raw<{ rows: unknown[] }>(`
    SELECT t.id, count(p.id) AS postings, coalesce(sum(p.amount_minor), 0) AS total
      FROM ledger.transfers t LEFT JOIN ledger.postings p ON p.transfer_id = t.id
     GROUP BY t.id HAVING count(p.id) <> 2 OR coalesce(sum(p.amount_minor), 0) <> 0`);
  const wrong = await db.raw<{ rows: unknown[] }>(`
    SELECT a.id, a.balance_minor, s.total, l.balance_after_minor
      FROM ledger.accounts a
      LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger.postings GROUP BY account_id) s ON s.account_id = a.id
      LEFT JOIN LATERAL (SELECT balance_after_minor FROM ledger.postings p WHERE p.account_id = a.id
                          ORDER BY booked_at DESC, id DESC LIMIT 1) l ON true
     WHERE a.balance_minor <> coalesce(s.total, 0) OR a.balance_minor <> coalesce(l.balance_after_minor, 0)`);
  const negative = await db.raw<{ rows: unknown[] }>(
    `SELECT id, balance_minor FROM ledger.accounts WHERE NOT allow_overdraft AND balance_minor < 0`);
  return { unbalancedTransfers: unbalanced.rows, wrongBalances: wrong.rows, negativeBalances: negative.rows };
}
