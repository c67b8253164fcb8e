import { ConfigError } from './config-error.ts';
import { checkDatabaseUrl } from './database-url.ts';

/** Where the database comes from: the operator's `DATABASE_URL`, or demo mode's embedded server. */
export type DatabaseSource = { kind: 'url'; url: string } | { kind: 'embedded' };

/**
 * Decides the database from the environment. `DATABASE_URL` wins; without it, demo mode uses the
 * embedded PostgreSQL, which production refuses.
 *
 * @param env usually `process.env`; reads `DATABASE_URL` and `NODE_ENV`
 * @throws {ConfigError} naming `DATABASE_URL` when it is malformed, or missing with `NODE_ENV=production`
 */
export function resolveDatabaseUrl(env: Readonly<Record<string, string | undefined>>): DatabaseSource {
  const url = env.DATABASE_URL;
  if (url) return { kind: 'url', url: checkDatabaseUrl('DATABASE_URL', url) };
  if (env.NODE_ENV === 'production') {
    throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production (the embedded demo database is refused)');
  }
  return { kind: 'embedded' };
}
