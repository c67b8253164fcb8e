import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libpqEnvironment, postgresClientCandidates } from '@payapi/platform';

const run = promisify(execFile);

/** A `pg_dump` binary and its major version. */
export interface PgDump {
  path: string;
  /** The major version, e.g. 15 for `pg_dump (PostgreSQL) 15.20`. */
  major: number;
}

/**
 * Where to look for `pg_dump`, in order: `$PG_DUMP` alone when it is set; else `pg_dump` on
 * `PATH`, then Debian's `/usr/lib/postgresql/<version>/bin`, newest version first (as the bench
 * looks for pgbench).
 *
 * @param env reads `PG_DUMP` and `PATH`
 * @returns absolute paths of existing files, possibly none
 */
export function pgDumpCandidates(env: Readonly<Record<string, string | undefined>>): string[] {
  return postgresClientCandidates('pg_dump', 'PG_DUMP', env);
}

/**
 * The major version of a `pg_dump` binary, from `pg_dump --version`.
 *
 * @throws {Error} when it does not run or prints no `(PostgreSQL) N`
 */
export async function pgDumpMajor(path: string): Promise<number> {
  const { stdout } = await run(path, ['--version']);
  const match = /\(PostgreSQL\) (\d+)/.exec(stdout);
  if (!match) throw new Error(`${path} --version printed no PostgreSQL version: ${stdout.trim()}`);
  return Number(match[1]);
}

/**
 * Finds a `pg_dump` that can dump a server of `serverMajor`: pg_dump refuses servers of a newer
 * major version than its own. The first of {@link pgDumpCandidates} whose major is at least the
 * server's.
 *
 * @returns the binary, or `problem`: a sentence saying what is missing and how to get it
 */
export async function findPgDump(
  env: Readonly<Record<string, string | undefined>>,
  serverMajor: number,
): Promise<{ pgDump: PgDump } | { problem: string }> {
  const found: PgDump[] = [];
  for (const path of pgDumpCandidates(env)) {
    const major = await pgDumpMajor(path);
    if (major >= serverMajor) return { pgDump: { path, major } };
    found.push({ path, major });
  }
  const seen = found.length === 0 ? 'no pg_dump was found ($PG_DUMP, PATH, /usr/lib/postgresql/<version>/bin)'
    : `only ${found.map((dump) => `pg_dump ${dump.major} (${dump.path})`).join(', ')}`;
  return {
    problem: `PostgreSQL ${serverMajor} needs pg_dump ${serverMajor} or newer, but ${seen}: install it ` +
      `(e.g. postgresql-client-${serverMajor}) or set PG_DUMP, or point TEST_DATABASE_URL at a server of an older major version`,
  };
}

/**
 * Runs `pg_dump --schema-only` of one schema, without owners, privileges or tablespaces (they
 * depend on the machine, not on the migrations). Connection details go in the environment, so
 * no password appears in the process list.
 *
 * @param databaseUrl `postgres://user:password@host:port/database`
 * @returns pg_dump's output as it is (see `normaliseDump`)
 * @throws {Error} with pg_dump's stderr when it fails
 */
export async function dumpSchema(pgDump: PgDump, databaseUrl: string, schema: string): Promise<string> {
  const env = libpqEnvironment(databaseUrl, 'payapi-schema-snapshot');
  try {
    const { stdout } = await run(pgDump.path,
      ['--schema-only', `--schema=${schema}`, '--no-owner', '--no-privileges', '--no-tablespaces'],
      { env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`pg_dump of schema ${schema} failed: ${(stderr ?? String(error)).trim().slice(-2000)}`);
  }
}
