import { ConfigError } from './config-error.ts';
import { redactUrlPassword } from './redact-url.ts';

/**
 * Checks a PostgreSQL connection string from configuration.
 *
 * @param variable the environment variable it came from, named in errors (e.g. `DATABASE_URL`)
 * @param value the raw value; `postgres://` or `postgresql://` URL (libpq URI form)
 * @returns the same string, known to parse as a postgres URL
 * @throws {ConfigError} when the value is not such a URL
 */
export function checkDatabaseUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, 'is not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(variable, `has protocol "${url.protocol}", expected postgres: or postgresql:`);
  }
  return value;
}

/** Returns the URL with its password replaced by `***`, for logs and messages. */
export function redactDatabaseUrl(value: string): string {
  return redactUrlPassword(value, '(unparseable database URL)');
}
