import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { openAccount } from '../accounts.ts';
import { migrateLedger } from '../migrations.ts';
import type { Account } from '../types.ts';

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
