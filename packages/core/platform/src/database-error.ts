import { redactDatabaseUrl } from './database-url.ts';

/** SQLSTATEs and socket errors that mean "the database is not there or refuses us", with what to say. */
const CONNECTION_PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  '28P01': 'the password was refused',
  '28000': 'the server refused this user',
  '3D000': 'the database does not exist',
};

/**
 * Turns a failure to reach PostgreSQL into one line for an operator, password redacted; returns
 * undefined for any other error (which should then be shown as it is).
 *
 * @param error what the driver threw (pg errors carry `code`: a socket error name or a SQLSTATE)
 * @param url the connection string that was used
 */
export function describeConnectionError(error: unknown, url: string): string | undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const problem = code === undefined ? undefined : CONNECTION_PROBLEMS[code];
  if (problem === undefined || !Object.hasOwn(CONNECTION_PROBLEMS, code as string)) return undefined;
  return `cannot use the database at ${redactDatabaseUrl(url)}: ${problem} (${code})`;
}
