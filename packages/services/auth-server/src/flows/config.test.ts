import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '@payapi/platform';
import { loadAuthServerConfig } from '../config.ts';

/** A production environment that passes every check; each test breaks one thing. */
const PRODUCTION = {
  NODE_ENV: 'production',
  AUTH_ISSUER: 'https://auth.bank.example',
  RESOURCE_API_URL: 'https://api.bank.example',
  AUTH_COOKIE_KEYS: 'production-cookie-key-0123456789abcdef,older-cookie-key-0123456789abcdefgh',
  AUTH_KEY_ENCRYPTION_SECRET: 'production-key-encryption-secret-0123456789',
  DATABASE_URL: 'postgres://auth@db.bank.example:5432/payapi',
} as const;

/** The ConfigError thrown by loading `env`, or a failure when it loads. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadAuthServerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('production configuration (NODE_ENV=production)', () => {
  test('a complete production environment loads with no demo defaults and no warnings', () => {
    const config = loadAuthServerConfig(PRODUCTION);
    expect(config.production).toBe(true);
    expect(config.issuer).toBe('https://auth.bank.example');
    expect(config.cookieKeys).toEqual(['production-cookie-key-0123456789abcdef', 'older-cookie-key-0123456789abcdefgh']);
    expect(config.keyEncryptionSecret).toBe('production-key-encryption-secret-0123456789');
    expect(config.database).toEqual({ kind: 'url', url: 'postgres://auth@db.bank.example:5432/payapi' });
    expect(config.warnings).toEqual([]);
  });

  test.each([
    ['AUTH_COOKIE_KEYS is missing', { AUTH_COOKIE_KEYS: undefined }, 'AUTH_COOKIE_KEYS'],
    ['AUTH_COOKIE_KEYS holds only separators', { AUTH_COOKIE_KEYS: ' , ,' }, 'AUTH_COOKIE_KEYS'],
    ['a cookie key is shorter than 32 characters', { AUTH_COOKIE_KEYS: `${PRODUCTION.AUTH_COOKIE_KEYS},short` }, 'AUTH_COOKIE_KEYS'],
    ['AUTH_KEY_ENCRYPTION_SECRET is missing', { AUTH_KEY_ENCRYPTION_SECRET: undefined }, 'AUTH_KEY_ENCRYPTION_SECRET'],
    ['AUTH_KEY_ENCRYPTION_SECRET is empty', { AUTH_KEY_ENCRYPTION_SECRET: '' }, 'AUTH_KEY_ENCRYPTION_SECRET'],
    ['AUTH_KEY_ENCRYPTION_SECRET is the demo secret', { AUTH_KEY_ENCRYPTION_SECRET: 'demo-only-key-encryption-secret-change-me' }, 'AUTH_KEY_ENCRYPTION_SECRET'],
    ['AUTH_KEY_ENCRYPTION_SECRET is shorter than 32 characters', { AUTH_KEY_ENCRYPTION_SECRET: 'too-short-secret' }, 'AUTH_KEY_ENCRYPTION_SECRET'],
    ['DATABASE_URL is missing', { DATABASE_URL: undefined }, 'DATABASE_URL'],
    ['DATABASE_URL is empty', { DATABASE_URL: '' }, 'DATABASE_URL'],
    ['the issuer is http on a public host', { AUTH_ISSUER: 'http://auth.bank.example' }, 'AUTH_ISSUER'],
    ['the issuer is http on a host that only starts with localhost', { AUTH_ISSUER: 'http://localhost.attacker.example' }, 'AUTH_ISSUER'],
    ['the issuer is not a URL', { AUTH_ISSUER: 'auth.bank.example' }, 'AUTH_ISSUER'],
  ])('refuses to start when %s, naming the variable', (_label, change, variable) => {
    const error = configError({ ...PRODUCTION, ...change });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  test('the missing-variable messages say the variable is required in production', () => {
    expect(configError({ ...PRODUCTION, AUTH_COOKIE_KEYS: undefined }).message).toMatch(/^AUTH_COOKIE_KEYS: is required in production/);
    expect(configError({ ...PRODUCTION, AUTH_KEY_ENCRYPTION_SECRET: undefined }).message).toMatch(/^AUTH_KEY_ENCRYPTION_SECRET: is required in production/);
    expect(configError({ ...PRODUCTION, DATABASE_URL: undefined }).message).toMatch(/^DATABASE_URL: is required when NODE_ENV=production/);
    expect(configError({ ...PRODUCTION, AUTH_KEY_ENCRYPTION_SECRET: 'demo-only-key-encryption-secret-change-me' }).message).toMatch(/demo secret/);
  });

  test.each(['http://localhost:4000', 'http://127.0.0.1:4000', 'http://[::1]:4000'])('allows the http issuer %s (localhost only)', (issuer) => {
    expect(loadAuthServerConfig({ ...PRODUCTION, AUTH_ISSUER: issuer }).issuer).toBe(issuer);
  });
});

describe('demo configuration (no NODE_ENV)', () => {
  test('defaults the secrets and the embedded database, with a warning for each defaulted secret', () => {
    const config = loadAuthServerConfig({});
    expect(config.production).toBe(false);
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.port).toBe(4000);
    expect(config.resourceApiUrl).toBe('http://localhost:4001');
    expect(config.database).toEqual({ kind: 'embedded' });
    expect(config.cookieKeys).toHaveLength(1);
    expect(config.cookieKeys[0]?.length).toBeGreaterThanOrEqual(32);
    expect(config.warnings).toHaveLength(2);
    expect(config.warnings.some((warning) => warning.startsWith('AUTH_COOKIE_KEYS'))).toBe(true);
    expect(config.warnings.some((warning) => warning.startsWith('AUTH_KEY_ENCRYPTION_SECRET'))).toBe(true);
  });

  test('two demo starts get different random cookie keys', () => {
    expect(loadAuthServerConfig({}).cookieKeys).not.toEqual(loadAuthServerConfig({}).cookieKeys);
  });

  test('still refuses a cookie key shorter than 32 characters', () => {
    expect(configError({ AUTH_COOKIE_KEYS: 'short' }).variable).toBe('AUTH_COOKIE_KEYS');
  });
});

describe('deployment settings', () => {
  test.each(['AUTH_ISSUER', 'RESOURCE_API_URL'])('production refuses to start without %s instead of defaulting to localhost', (variable) => {
    expect(configError({ ...PRODUCTION, [variable]: undefined }).variable).toBe(variable);
  });

  test('TRUST_PROXY_HOPS defaults to 0 (no proxy trusted) and accepts 0 to 10', () => {
    expect(loadAuthServerConfig(PRODUCTION).trustProxyHops).toBe(0);
    expect(loadAuthServerConfig({ ...PRODUCTION, TRUST_PROXY_HOPS: '2' }).trustProxyHops).toBe(2);
    expect(configError({ ...PRODUCTION, TRUST_PROXY_HOPS: 'yes' }).variable).toBe('TRUST_PROXY_HOPS');
    expect(configError({ ...PRODUCTION, TRUST_PROXY_HOPS: '11' }).variable).toBe('TRUST_PROXY_HOPS');
  });

  test('LOG_LEVEL applies here as in the resource API: info by default, an unknown level refused', () => {
    expect(loadAuthServerConfig(PRODUCTION).logLevel).toBe('info');
    expect(loadAuthServerConfig({ ...PRODUCTION, LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(configError({ ...PRODUCTION, LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
  });

  test('SECURITY_PROFILE is default unless fapi2 is asked for; anything else stops the start naming the variable', () => {
    expect(loadAuthServerConfig(PRODUCTION).securityProfile).toBe('default');
    expect(loadAuthServerConfig({ ...PRODUCTION, SECURITY_PROFILE: 'fapi2' }).securityProfile).toBe('fapi2');
    const error = configError({ ...PRODUCTION, SECURITY_PROFILE: 'fapi' });
    expect(error.variable).toBe('SECURITY_PROFILE');
    expect(error.message).toMatch(/^SECURITY_PROFILE: must be default or fapi2/);
  });
});
