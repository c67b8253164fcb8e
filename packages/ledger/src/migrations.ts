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
 * Brings schema `ledger` to the newest version (creating the schema when missing). Safe to run
 * concurrently from several processes: knex holds its migration lock meanwhile.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateLedger(db: Knex): Promise<string[]> {
  await db.raw('CREATE SCHEMA IF NOT EXISTS ledger');
  const [, applied] = (await db.migrate.latest(MIGRATOR_CONFIG)) as [number, string[]];
  return applied;
}

/**
 * Undoes every applied ledger migration (all ledger data is lost): for tests and development.
 *
 * @returns the names of the migrations undone
 */
export async function rollbackLedger(db: Knex): Promise<string[]> {
  const [, undone] = (await db.migrate.rollback(MIGRATOR_CONFIG, true)) as [number, string[]];
  return undone;
}
