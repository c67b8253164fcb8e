import { describe, expect, test } from '@jest/globals';
import { ConfigError } from './config-error.ts';
import { describeConnectionError } from './database-error.ts';
import { redactDatabaseUrl } from './database-url.ts';
import { resolveDatabaseUrl } from './resolve-database-url.ts';

describe('resolveDatabaseUrl', () => {
  test('uses DATABASE_URL when set, in any mode', () => {
    const url = 'postgres://app:secret@db.internal:5432/payapi';
    expect(resolveDatabaseUrl({ DATABASE_URL: url, NODE_ENV: 'production' })).toEqual({ kind: 'url', url });
  });

  test('falls back to the embedded demo database outside production', () => {
    expect(resolveDatabaseUrl({})).toEqual({ kind: 'embedded' });
    expect(resolveDatabaseUrl({ NODE_ENV: 'development' })).toEqual({ kind: 'embedded' });
  });

  test('refuses to start in production without DATABASE_URL, naming the variable', () => {
    expect(() => resolveDatabaseUrl({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => resolveDatabaseUrl({ NODE_ENV: 'production' })).toThrow(/^DATABASE_URL: is required when NODE_ENV=production/);
  });

  test('refuses a DATABASE_URL that is not a postgres URL', () => {
    expect(() => resolveDatabaseUrl({ DATABASE_URL: 'mysql://localhost/db' })).toThrow(/DATABASE_URL: has protocol "mysql:"/);
    expect(() => resolveDatabaseUrl({ DATABASE_URL: 'localhost:5432' })).toThrow(/DATABASE_URL/);
  });

  test('redacts the password when a URL is shown', () => {
    expect(redactDatabaseUrl('postgres://app:s3cret@db:5432/payapi')).toBe('postgres://app:***@db:5432/payapi');
    expect(redactDatabaseUrl('postgres://db:5432/payapi')).toBe('postgres://db:5432/payapi');
  });
});

describe('describeConnectionError', () => {
  test('names the redacted URL and the reason for connection failures', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeConnectionError(refused, 'postgres://app:s3cret@db:1/payapi'))
      .toBe('cannot use the database at postgres://app:***@db:1/payapi: nothing is listening there (ECONNREFUSED)');
    expect(describeConnectionError({ code: '3D000' }, 'postgres://db/x')).toMatch(/database does not exist/);
  });

  test('leaves other errors alone', () => {
    expect(describeConnectionError(new Error('boom'), 'postgres://db/x')).toBeUndefined();
    expect(describeConnectionError({ code: '23505' }, 'postgres://db/x')).toBeUndefined();
    expect(describeConnectionError({ code: 'toString' }, 'postgres://db/x')).toBeUndefined();
  });
});
