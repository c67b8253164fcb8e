import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian installs PostgreSQL's client programs, one folder per major version. */
const DEBIAN_POSTGRESQL = '/usr/lib/postgresql';

/**
 * Paths of a PostgreSQL client program (`pgbench`, `pg_dump`…), best first: the one the variable
 * `override` names, alone, when it is set; else the first `name` on `PATH`, then Debian's
 * `/usr/lib/postgresql/<version>/bin/<name>`, newest version first.
 *
 * @param name the program, e.g. `pg_dump`
 * @param override the environment variable that names it directly, e.g. `PG_DUMP`
 * @param env reads `override` and `PATH`
 * @returns existing files (the override unchecked), possibly none
 */
export function postgresClientCandidates(name: string, override: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const named = env[override];
  if (named) return [named];
  const onPath = (env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, name)).find((path) => existsSync(path));
  const versions = existsSync(DEBIAN_POSTGRESQL)
    ? readdirSync(DEBIAN_POSTGRESQL).filter((version) => existsSync(join(DEBIAN_POSTGRESQL, version, 'bin', name)))
      .sort((a, b) => Number(b) - Number(a))
    : [];
  return [...new Set([...(onPath ? [onPath] : []), ...versions.map((version) => join(DEBIAN_POSTGRESQL, version, 'bin', name))])];
}

/**
 * The environment a PostgreSQL client program (libpq) needs to reach `databaseUrl`: `PGHOST`,
 * `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGAPPNAME`, plus `PATH`. Passing the password
 * this way keeps it out of the process list.
 *
 * @param databaseUrl `postgres://user:password@host:port/database`
 * @param applicationName shown in `pg_stat_activity`
 * @throws {TypeError} for a malformed URL
 */
export function libpqEnvironment(databaseUrl: string, applicationName: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return {
    PATH: process.env.PATH ?? '',
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)),
    PGAPPNAME: applicationName,
  };
}
