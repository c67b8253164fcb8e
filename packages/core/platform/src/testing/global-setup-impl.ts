import { join } from 'node:path';
import pg from 'pg';
import { checkDatabaseUrl, redactDatabaseUrl } from '../database-url.ts';
import { startEmbeddedPostgres } from '../embedded-postgres.ts';
import type { RunningPostgres } from '../embedded-postgres.ts';
import { repoRoot } from '../repo-root.ts';

/** Port of the test run's own embedded PostgreSQL (demo mode uses another one). */
const EMBEDDED_TEST_PORT = 54339;

declare global {
  var __payapiEmbeddedPostgres: RunningPostgres | undefined;
}

/**
 * Jest global setup. Tests need a PostgreSQL server where they may create databases:
 * `TEST_DATABASE_URL`, else `DATABASE_URL`, else an embedded server started here (data under
 * `.data/postgres-test`, reused across runs). Its URL is handed to the workers as
 * `TEST_DATABASE_URL`; each test file then creates a database of its own from it.
 */
export default async function globalSetup(): Promise<void> {
  const variable = process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'DATABASE_URL';
  const configured = process.env[variable];
  if (configured) {
    checkDatabaseUrl(variable, configured);
    await checkReachable(variable, configured);
    process.env.TEST_DATABASE_URL = configured;
    return;
  }
  const server = await startEmbeddedPostgres({
    dataDir: join(repoRoot, '.data', 'postgres-test'),
    port: EMBEDDED_TEST_PORT,
    database: 'postgres',
  });
  globalThis.__payapiEmbeddedPostgres = server;
  process.env.TEST_DATABASE_URL = server.adminUrl;
  process.stderr.write(`\ntests: no TEST_DATABASE_URL or DATABASE_URL, using embedded PostgreSQL on port ${EMBEDDED_TEST_PORT}\n`);
}

async function checkReachable(variable: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${variable} (${redactDatabaseUrl(url)}) is not reachable: ${reason}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
