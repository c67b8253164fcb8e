import { describe, expect, test } from '@jest/globals';
import { loadResourceApiConfig } from './config.ts';
import { DEMO_WEBHOOK_SECRETS_KEY } from '@payapi/events';

describe('loadResourceApiConfig', () => {
  test('defaults to the documented URLs and port, with explicit limits', () => {
    const config = loadResourceApiConfig({ DATABASE_URL: 'postgres://u@localhost:5432/db' });
    expect(config.publicUrl).toBe('http://localhost:4001');
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.port).toBe(4001);
    expect(config.bodyLimitBytes).toBe(65_536);
    expect(config.clockToleranceSeconds).toBeLessThanOrEqual(30);
    expect(config.corsOrigins).toEqual([]);
  });

  test('reads PORT, LOG_LEVEL, CORS_ORIGINS and trims a trailing slash of the URLs', () => {
    const config = loadResourceApiConfig({ RESOURCE_API_URL: 'https://api.example/', AUTH_ISSUER: 'https://auth.example', PORT: '8080', LOG_LEVEL: 'warn', CORS_ORIGINS: 'https://app.example, https://b.example', DATABASE_URL: 'postgres://u@db:5432/x' });
    expect([config.publicUrl, config.port, config.logLevel, config.corsOrigins]).toEqual(['https://api.example', 8080, 'warn', ['https://app.example', 'https://b.example']]);
  });

  test('webhooks: the demo secrets key with a warning outside production, private networks refused unless asked, sandbox', () => {
    const config = loadResourceApiConfig({});
    expect(config.webhooks).toEqual({ secretsKey: DEMO_WEBHOOK_SECRETS_KEY, allowPrivateNetworks: false });
    expect(config.environment).toBe('sandbox');
    expect(config.warnings).toEqual([expect.stringMatching(/^WEBHOOK_SECRETS_KEY is unset/)]);
    const demo = loadResourceApiConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_SECRETS_KEY: 'k'.repeat(32), PAYAPI_ENVIRONMENT: 'live' });
    expect([demo.webhooks, demo.environment, demo.warnings]).toEqual([{ secretsKey: 'k'.repeat(32), allowPrivateNetworks: true }, 'live', []]);
  });

  test('production: WEBHOOK_SECRETS_KEY required and not the demo one; private networks allowed only with a warning', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', RESOURCE_API_URL: 'https://api.example', AUTH_ISSUER: 'https://auth.example' };
    expect(() => loadResourceApiConfig(production)).toThrow(/^WEBHOOK_SECRETS_KEY: is required in production/);
    expect(() => loadResourceApiConfig({ ...production, WEBHOOK_SECRETS_KEY: DEMO_WEBHOOK_SECRETS_KEY })).toThrow(/^WEBHOOK_SECRETS_KEY: is the public demo key/);
    const config = loadResourceApiConfig({ ...production, WEBHOOK_SECRETS_KEY: 'p'.repeat(40), WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect([config.environment, config.webhooks.allowPrivateNetworks]).toEqual(['live', true]);
    expect(config.warnings).toEqual([expect.stringMatching(/^WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true in production/)]);
  });

  test('REQUEST_LOG: on by default (also when empty), off when asked, with the documented limits', () => {
    expect(loadResourceApiConfig({}).requestLog).toEqual({
      enabled: true, bufferRowsMax: 10_000, batchRowsMax: 1_000, flushIntervalMs: 500, retentionDays: 14,
      purgeIntervalMs: 3_600_000, purgeBatchRows: 5_000, purgeRunMaxMs: 300_000, shutdownWaitMs: 5_000,
    });
    expect(loadResourceApiConfig({ REQUEST_LOG: '' }).requestLog.enabled).toBe(true);
    expect(loadResourceApiConfig({ REQUEST_LOG: 'on' }).requestLog.enabled).toBe(true);
    expect(loadResourceApiConfig({ REQUEST_LOG: 'off' }).requestLog.enabled).toBe(false);
  });

  test('SECURITY_PROFILE: default unless fapi2 is asked for', () => {
    expect(loadResourceApiConfig({}).securityProfile).toBe('default');
    expect(loadResourceApiConfig({ SECURITY_PROFILE: 'fapi2' }).securityProfile).toBe('fapi2');
  });

  test('REVOCATION_CHECK: notices by default; database; none with a warning, in production too', () => {
    expect(loadResourceApiConfig({}).revocationCheck).toBe('notices');
    expect(loadResourceApiConfig({ REVOCATION_CHECK: 'database' }).revocationCheck).toBe('database');
    const none = loadResourceApiConfig({ REVOCATION_CHECK: 'none', WEBHOOK_SECRETS_KEY: 'k'.repeat(32) });
    expect([none.revocationCheck, none.warnings]).toEqual(['none', [expect.stringMatching(/^REVOCATION_CHECK=none: /)]]);
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', RESOURCE_API_URL: 'https://api.example',
      AUTH_ISSUER: 'https://auth.example', WEBHOOK_SECRETS_KEY: 'p'.repeat(40) };
    expect(loadResourceApiConfig({ ...production, REVOCATION_CHECK: 'none' }).warnings).toEqual([expect.stringMatching(/^REVOCATION_CHECK=none in production: /)]);
  });

  test.each([
    [{ REVOCATION_CHECK: 'off' }, /^REVOCATION_CHECK: must be notices, database or none/],
    [{ REQUEST_LOG: 'false' }, /^REQUEST_LOG: must be on or off/],
    [{ REQUEST_LOG: 'OFF' }, /^REQUEST_LOG: must be on or off/],
    [{ WEBHOOK_SECRETS_KEY: 'short' }, /^WEBHOOK_SECRETS_KEY: must be at least 32 characters/],
    [{ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'yes' }, /^WEBHOOKS_ALLOW_PRIVATE_NETWORKS: must be true or false/],
    [{ PAYAPI_ENVIRONMENT: 'staging' }, /^PAYAPI_ENVIRONMENT: /],
    [{ SECURITY_PROFILE: 'fapi1' }, /^SECURITY_PROFILE: must be default or fapi2/],
    [{ RESOURCE_API_URL: 'not a url' }, /^RESOURCE_API_URL: /],
    [{ AUTH_ISSUER: 'http://auth.example?x=1' }, /^AUTH_ISSUER: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    [{ NODE_ENV: 'production' }, /^DATABASE_URL: /],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', AUTH_ISSUER: 'http://auth.example' }, /^AUTH_ISSUER: .*https/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadResourceApiConfig(env)).toThrow(message);
  });
});
