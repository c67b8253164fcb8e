import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { migrateLedger, rollbackLedger } from './migrations.ts';
import { openTestAccount } from './test-support.ts';

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

const LEDGER_TABLES = ['accounts', 'idempotency_records', 'knex_migrations', 'knex_migrations_lock', 'postings', 'transfers'];

describe('ledger migrations', () => {
  test('migrate up from an empty database creates the schema and its tables', async () => {
    expect(await ledgerTables()).toEqual([]);
    expect(await migrateLedger(database.db)).toEqual(['20261129_01_ledger_core']);
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
  });

  test('migrating again applies nothing', async () => {
    expect(await migrateLedger(database.db)).toEqual([]);
  });

  test('down removes every ledger table, and up again restores a working ledger', async () => {
    await openTestAccount(database.db, 'CNY', 100n);
    expect(await rollbackLedger(database.db)).toEqual(['20261129_01_ledger_core']);
    expect(await ledgerTables()).toEqual(['knex_migrations', 'knex_migrations_lock']);
    expect(await migrateLedger(database.db)).toEqual(['20261129_01_ledger_core']);
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
    const account = await openTestAccount(database.db, 'CNY', 2500n);
    expect(account.balanceMinor).toBe(2500n);
  });

  test('concurrent migrations from several processes apply each migration once', async () => {
    await rollbackLedger(database.db);
    const results = await Promise.all([migrateLedger(database.db), migrateLedger(database.db), migrateLedger(database.db)].map(
      (run) => run.catch((error: unknown) => (error instanceof Error ? error.message : String(error))),
    ));
    const applied = results.filter((result) => Array.isArray(result) && result.length === 1);
    expect(applied).toHaveLength(1);
    expect(await ledgerTables()).toEqual(LEDGER_TABLES);
  });
});
