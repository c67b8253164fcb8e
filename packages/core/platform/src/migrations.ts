import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';

/** One migration of a package, named `YYYYMMDD_NN_what` so that names sort in order. */
export interface NamedMigration {
  name: string;
  migration: Knex.Migration;
}

/** A package's migrations: its own schema, its own knex migration table in that schema. */
export interface SchemaMigrations {
  /** PostgreSQL schema the package owns, e.g. `ledger`, `auth`. */
  schemaName: string;
  /** In order; append new ones, never edit a shipped one. */
  migrations: readonly NamedMigration[];
  /** Key of the advisory lock serialising this schema's migrations across processes. */
  lockKey: number;
}

/**
 * Brings a package's schema to the newest version, creating the schema when missing.
 *
 * Safe to run from several processes at once (services starting together): a session-level
 * advisory lock serialises them, so one migrates and the others then find nothing to do. Knex's
 * own lock table is not enough on a first start: it does not exist yet, and concurrent creations
 * of it fail or leave it with several rows, wedging every later run. The lock is held on one pooled
 * connection while the migrations run on another, so the knex pool needs at least 2 connections.
 *
 * Migrations are listed in code rather than found by scanning a folder, so they load the same way
 * under Node, jest and a bundle.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateSchema(db: Knex, schema: SchemaMigrations): Promise<string[]> {
  return withAdvisoryLock(db, schema.lockKey, async () => {
    await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema.schemaName]);
    const [, applied] = (await db.migrate.latest(migratorConfig(schema))) as [number, string[]];
    return applied;
  });
}

/**
 * Undoes every applied migration of the schema (its data is lost): for tests and development.
 *
 * @returns the names of the migrations undone, newest first
 */
export async function rollbackSchema(db: Knex, schema: SchemaMigrations): Promise<string[]> {
  return withAdvisoryLock(db, schema.lockKey, async () => {
    const [, undone] = (await db.migrate.rollback(migratorConfig(schema), true)) as [number, string[]];
    return undone;
  });
}

function migratorConfig(schema: SchemaMigrations): Knex.MigratorConfig {
  const source: Knex.MigrationSource<NamedMigration> = {
    getMigrations: async () => [...schema.migrations],
    getMigrationName: (entry) => entry.name,
    getMigration: async (entry) => entry.migration,
  };
  return { migrationSource: source, schemaName: schema.schemaName, tableName: 'knex_migrations' };
}

interface PooledConnection {
  query(sql: string, values: unknown[]): Promise<unknown>;
}

/** How often a process waiting for another's migration asks for the lock again, ms. */
const LOCK_POLL_MS = 100;

async function tryAdvisoryLock(connection: PooledConnection, key: number): Promise<boolean> {
  const result = await connection.query('SELECT pg_try_advisory_lock($1) AS locked', [key]) as { rows: Array<{ locked: boolean }> };
  return result.rows[0]?.locked === true;
}

async function withAdvisoryLock<T>(db: Knex, key: number, work: () => Promise<T>): Promise<T> {
  const client = db.client as {
    acquireConnection(): Promise<PooledConnection>;
    releaseConnection(connection: PooledConnection): Promise<void>;
  };
  const connection = await client.acquireConnection();
  try {
    // Polled rather than waited for in one `pg_advisory_lock`: the wait would count against the
    // connection's statement and query timeouts, and another process's migration may take longer.
    while (!(await tryAdvisoryLock(connection, key))) await sleep(LOCK_POLL_MS);
    try {
      return await work();
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}
