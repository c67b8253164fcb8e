import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { createDatabase } from '../database.ts';

/** A database that belongs to one test file, on the server of `TEST_DATABASE_URL`. */
export interface TestDatabase {
  /** Its name, `payapi_test_<pid>_<random>`. */
  name: string;
  /** Connection string to it. */
  url: string;
  /** A knex instance on it (pool of 20, enough for the concurrency tests). */
  db: Knex;
  /** Closes the pool and drops the database, disconnecting stragglers. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database of its own for the calling test file, so test files run in parallel
 * without seeing each other's rows. Made from `template0`, which nobody connects to, so concurrent
 * creations do not trip over each other.
 *
 * @throws {Error} when `TEST_DATABASE_URL` is unset (run the tests through jest's global setup)
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is unset: run tests with `pnpm test`, whose global setup sets it');
  const name = `payapi_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await runAdmin(adminUrl, `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0 ENCODING 'UTF8'`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), poolMax: 20, applicationName: 'payapi-test' });
  return {
    name,
    url: url.toString(),
    db,
    async drop() {
      await db.destroy();
      await runAdmin(adminUrl, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

async function runAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
