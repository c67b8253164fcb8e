import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { migrateResourceApi, rollbackResourceApi } from './migrations.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const API_MIGRATIONS = ['20261206_01_post_transfer_with_grant', '20261206_02_transfer_events', '20261207_01_request_log',
  '20261208_01_post_payment', '20261209_01_post_transfers', '20261209_02_post_transfers_lock_first'];

async function apiFunctions(): Promise<string[]> {
  const { rows } = await database.db.raw<{ rows: Array<{ signature: string }> }>(
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'api' ORDER BY 1`);
  return rows.map((row) => row.signature);
}

async function apiTables(): Promise<string[]> {
  const { rows } = await database.db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'api' AND tablename <> 'knex_migrations' AND tablename <> 'knex_migrations_lock' ORDER BY 1`);
  return rows.map((row) => row.name);
}

describe('resource API migrations (schema api)', () => {
  test('migrate up creates api.post_transfer, api.post_transfers, api.post_payment and their event helpers, even before schemas ledger and auth exist (it calls them when it runs)', async () => {
    expect(await migrateResourceApi(database.db)).toEqual(API_MIGRATIONS);
    expect(await apiFunctions()).toEqual([
      'api.append_transfer_events(jsonb)',
      'api.post_payment(text,text,text,text,text,integer,text,text,bigint,text,text,text,text,text,text)',
      'api.post_transfer(text,text,text,text,text,integer,text,text,text,text,text,text,bigint,text,text)',
      'api.post_transfers(jsonb)',
      'api.wire_payment(jsonb)',
      'api.wire_payment_consent(jsonb)',
      'api.wire_transaction(text,text,text,bigint,bigint,text,text,text,timestamp with time zone)',
      'api.wire_transfer(jsonb)',
    ]);
    expect(await apiTables()).toEqual(['request_log']);
  });

  test('migrating again applies nothing', async () => {
    expect(await migrateResourceApi(database.db)).toEqual([]);
  });

  test('down removes the functions and the request log, and up again restores them', async () => {
    expect(await rollbackResourceApi(database.db)).toEqual([...API_MIGRATIONS].reverse());
    expect(await apiFunctions()).toEqual([]);
    expect(await apiTables()).toEqual([]);
    expect(await migrateResourceApi(database.db)).toEqual(API_MIGRATIONS);
    expect(await apiFunctions()).toHaveLength(8);
    expect(await apiTables()).toEqual(['request_log']);
  });
});
