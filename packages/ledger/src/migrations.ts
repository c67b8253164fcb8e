import type { Knex } from 'knex';
import * as ledgerCore from '../migrations/20261129_01_ledger_core.ts';

interface NamedMigration {
  name: string;
  migration: Knex.Migration;
}

/**
 * The ledger's migrations, in order. Listed here rather than found by scanning a folder, so they
 * load the same way under Node, jest and a bundle. Add new ones at the end; never edit a shipped one.
 */
const MIGRATIONS: readonly NamedMigration[] = [{ name: '20261129_01_ledger_core', migration: ledgerCore }];

const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (entry) => entry.name,
  getMigration: async (entry) => entry.migration,
};

/** Knex migrator settings: the ledger keeps its own migration table in its own schema. */
const MIGRATOR_CONFIG: Knex.MigratorConfig = {
  migrationSource,
  schemaName: 'ledger',
  tableName: 'knex_migrations',
};

/**
 * Key of the PostgreSQL advisory lock that serialises ledger migrations across processes
 * (an arbitrary constant: "ledger" in ASCII).
 */
const MIGRATION_LOCK_KEY = 0x6c6564676572;

/**
 * Brings schema `ledger` to the newest version, creating the schema when missing.
 *
 * Safe to run from several processes at once (services starting together): a session-level
 * advisory lock serialises them, so one migrates and the others then find nothing to do. Knex's
 * own lock table is not enough on a first start: it does not exist yet, and concurrent creations
 * of it fail or leave it wedged. The lock is held on one pooled connection while the migrations run
 * on another, so the knex pool needs at least 2 connections.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateLedger(db: Knex): Promise<string[]> {
  return withMigrationLock(db, async () => {
    await db.raw('CREATE SCHEMA IF NOT EXISTS ledger');
    const [, applied] = (await db.migrate.latest(MIGRATOR_CONFIG)) as [number, string[]];
    return applied;
  });
}

/**
 * Undoes every applied ledger migration (all ledger data is lost): for tests and development.
 *
 * @returns the names of the migrations undone
 */
export async function rollbackLedger(db: Knex): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, undone] = (await db.migrate.rollback(MIGRATOR_CONFIG, true)) as [number, string[]];
    return undone;
  });
}

interface PooledConnection {
  query(sql: string, values: unknown[]): Promise<unknown>;
}

async function withMigrationLock<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  const client = db.client as { acquireConnection(): Promise<PooledConnection>; releaseConnection(connection: PooledConnection): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    await connection.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}
