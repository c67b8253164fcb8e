import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { migrateLedger, rollbackLedger } from './migrations.ts';
import { openTestAccount } from './testing/index.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function ledgerTables(): Promise<string[]> {
  const { rows } = await database.db.raw<{ rows: Array<{ table_name: string }> }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'ledger' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

const LEDGER_TABLES = ['accounts', 'idempotency_records', 'knex_migrations', 'knex_migrations_lock', 'payment_consents', 'payments',
  'postings', 'transfers'];
const LEDGER_MIGRATIONS = ['20261129_01_ledger_core', '20261130_02_transfer_functions', '20261130_03_balance_check_once',
  '20261206_04_idempotency_per_subject', '20261206_05_retire_in_flight_claims', '20261206_06_transfer_postings_for_events',
  '20261208_07_payment_consents', '20261208_08_payment_consent_expiry', '20261209_09_post_transfers',
  '20261209_10_lock_transfer_accounts'];

describe('ledger migrations', () => {
  test('migrate up from an empty database creates the schema and its tables', async () => {
    expect(await ledgerTables()).toEqual([]);
    expect(await migrateLedger(database.db)).toEqual(LEDGER_MIGRATIONS);
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
  });

  test('migrating again applies nothing', async () => {
    expect(await migrateLedger(database.db)).toEqual([]);
  });

  test('down removes every ledger table, and up again restores a working ledger', async () => {
    await openTestAccount(database.db, 'CNY', 100n);
    expect(await rollbackLedger(database.db)).toEqual([...LEDGER_MIGRATIONS].reverse());
    expect(await ledgerTables()).toEqual(['knex_migrations', 'knex_migrations_lock']);
    expect(await migrateLedger(database.db)).toEqual(LEDGER_MIGRATIONS);
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
    const account = await openTestAccount(database.db, 'CNY', 2500n);
    expect(account.balanceMinor).toBe(2500n);
  });

  test('8 processes migrating an empty database at once: one applies the migration, the others find nothing to do', async () => {
    await rollbackLedger(database.db);
    await database.db.raw('DROP SCHEMA ledger CASCADE');
    const processes = Array.from({ length: 8 }, () => createDatabase({ url: database.url, poolMax: 2 }));
    try {
      const results = await Promise.all(processes.map((db) => migrateLedger(db)));
      expect(results.filter((applied) => applied.length === LEDGER_MIGRATIONS.length)).toHaveLength(1);
      expect(results.filter((applied) => applied.length === 0)).toHaveLength(7);
    } finally {
      await Promise.all(processes.map((db) => db.destroy()));
    }
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
    const { rows } = await database.db.raw<{ rows: unknown[] }>('SELECT * FROM ledger.knex_migrations_lock');
    expect(rows).toHaveLength(1);
    expect(await migrateLedger(database.db)).toEqual([]);
  });
});
