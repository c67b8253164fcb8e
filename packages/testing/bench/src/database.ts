import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot, resolveDatabaseUrl, startEmbeddedPostgres } from '@payapi/platform';
import pg from 'pg';

/** Port of the benchmark's embedded PostgreSQL (demo 54329, tests 54339). */
export const BENCH_EMBEDDED_PORT = 54349;

/** The PostgreSQL server a run uses, and scratch databases on it. */
export interface BenchServer {
  /** URL of a maintenance database on the server (for CREATE/DROP DATABASE and pgbench's own database). */
  adminUrl: string;
  /** `SHOW server_version`. */
  version: string;
  /** `embedded` (started here, stopped by `close`) or `DATABASE_URL`. */
  source: 'embedded' | 'DATABASE_URL';
  /**
   * Creates an empty database (from `template0`) named `payapi_bench_<label>_<random>`.
   * @returns its URL; dropped by `close`
   */
  createScratch(label: string): Promise<string>;
  /** Names of the scratch databases made so far. */
  scratchNames(): string[];
  /** Drops every scratch database (`WITH (FORCE)`), then stops the embedded server if there is one. */
  close(): Promise<void>;
}

/**
 * Opens the server of `DATABASE_URL` when set (its user must be allowed to create databases),
 * else starts the embedded PostgreSQL in `.data/postgres-bench` on port {@link BENCH_EMBEDDED_PORT}.
 *
 * @param env reads `DATABASE_URL` and `NODE_ENV`
 * @throws {ConfigError} for a malformed `DATABASE_URL` (or none under `NODE_ENV=production`)
 * @throws {Error} when the server cannot be reached or started
 */
export async function openBenchServer(env: Readonly<Record<string, string | undefined>>): Promise<BenchServer> {
  const source = resolveDatabaseUrl(env);
  const embedded = source.kind === 'url' ? undefined : await startEmbeddedPostgres({
    dataDir: join(repoRoot, '.data', 'postgres-bench'), port: BENCH_EMBEDDED_PORT, database: 'postgres',
  });
  const adminUrl = source.kind === 'url' ? source.url : (embedded as { adminUrl: string }).adminUrl;
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'payapi-bench' });
  try {
    await admin.connect();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
  const scratch: string[] = [];
  return {
    adminUrl,
    version,
    source: embedded ? 'embedded' : 'DATABASE_URL',
    async createScratch(label) {
      const name = `payapi_bench_${label}_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
      scratch.push(name);
      return withDatabase(adminUrl, name);
    },
    scratchNames: () => [...scratch],
    async close() {
      try {
        for (const name of scratch.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
        await embedded?.stop();
      }
    },
  };
}

/** `url` with its database (path) replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
