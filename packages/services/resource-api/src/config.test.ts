import { describe, expect, test } from '@jest/globals';
import { loadResourceApiConfig } from './config.ts';
import { DEMO_WEBHOOK_SECRETS_KEY } from '@payapi/events';

/** Redis and a metrics port set, so that tests about other variables see no warning about these two. */
const SHARED = { REDIS_URL: 'redis://127.0.0.1:6379', METRICS_PORT: '9464' };

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
    const config = loadResourceApiConfig(SHARED);
    expect(config.webhooks).toEqual({ secretsKey: DEMO_WEBHOOK_SECRETS_KEY, allowPrivateNetworks: false });
    expect(config.environment).toBe('sandbox');
    expect(config.warnings).toEqual([expect.stringMatching(/^WEBHOOK_SECRETS_KEY is unset/)]);
    const demo = loadResourceApiConfig({ ...SHARED, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_SECRETS_KEY: 'k'.repeat(32), PAYAPI_ENVIRONMENT: 'live' });
    expect([demo.webhooks, demo.environment, demo.warnings]).toEqual([{ secretsKey: 'k'.repeat(32), allowPrivateNetworks: true }, 'live', []]);
  });

  test('production: WEBHOOK_SECRETS_KEY required and not the demo one; private networks allowed only with a warning', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', RESOURCE_API_URL: 'https://api.example', AUTH_ISSUER: 'https://auth.example', REDIS_URL: 'redis://cache:6379' };
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
    const none = loadResourceApiConfig({ ...SHARED, REVOCATION_CHECK: 'none', WEBHOOK_SECRETS_KEY: 'k'.repeat(32) });
    expect([none.revocationCheck, none.warnings]).toEqual(['none', [expect.stringMatching(/^REVOCATION_CHECK=none: /)]]);
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', RESOURCE_API_URL: 'https://api.example',
      AUTH_ISSUER: 'https://auth.example', WEBHOOK_SECRETS_KEY: 'p'.repeat(40), REDIS_URL: 'redis://cache:6379' };
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
    [{ REDIS_URL: 'http://cache:6379' }, /^REDIS_URL: has protocol "http:", expected redis: or rediss:/],
    [{ REDIS_URL: 'cache:6379' }, /^REDIS_URL: has protocol "cache:"/],
    [{ REDIS_URL: 'not a url' }, /^REDIS_URL: is not a URL/],
    [{ REDIS_URL: 'redis://cache:6379/?tls=1' }, /^REDIS_URL: must not carry a query/],
    [{ REDIS_URL: 'redis://cache:6379/zero' }, /^REDIS_URL: may name a database number only/],
    [{ REDIS_KEY_PREFIX: 'payapi {x}' }, /^REDIS_KEY_PREFIX: must be 1 to 64 letters/],
    [{ REDIS_KEY_PREFIX: 'p'.repeat(65) }, /^REDIS_KEY_PREFIX: /],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, /^RATE_LIMIT_PER_MINUTE: must be an integer from 1 to 100000000/],
    [{ RATE_LIMIT_PER_MINUTE: '10.5' }, /^RATE_LIMIT_PER_MINUTE: /],
    [{ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '-1' }, /^RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: /],
    [{ METRICS_PORT: '0' }, /^METRICS_PORT: must be an integer from 1 to 65535/],
    [{ METRICS_PORT: '4001' }, /^METRICS_PORT: must differ from the public port 4001/],
    [{ METRICS_HOST: 'http://localhost' }, /^METRICS_HOST: /],
    [{ TRUST_PROXY_HOPS: '11' }, /^TRUST_PROXY_HOPS: /],
    [{ TRANSFER_BATCH_MAX: '0' }, /^TRANSFER_BATCH_MAX: must be an integer from 1 to 256/],
    [{ TRANSFER_BATCH_MAX: '257' }, /^TRANSFER_BATCH_MAX: /],
    [{ TRANSFER_BATCHES_IN_FLIGHT: '9' }, /^TRANSFER_BATCHES_IN_FLIGHT: must be an integer from 1 to 8/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadResourceApiConfig(env)).toThrow(message);
  });
});

describe('shared state, rate limits and metrics (issue 15)', () => {
  const PRODUCTION = {
    NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', RESOURCE_API_URL: 'https://api.example', AUTH_ISSUER: 'https://auth.example',
    WEBHOOK_SECRETS_KEY: 'p'.repeat(40),
  };

  test('without REDIS_URL, demo mode keeps DPoP proofs and rate limits in this process and says so', () => {
    const config = loadResourceApiConfig({ WEBHOOK_SECRETS_KEY: 'k'.repeat(32), METRICS_PORT: '9464' });
    expect(config.redis).toBeUndefined();
    expect(config.warnings).toEqual([expect.stringMatching(/^REDIS_URL is unset: rate limits are counted in this process only/)]);
  });

  test('REDIS_URL with the default key prefix payapi:, or the one given; rediss: and a database number accepted', () => {
    expect(loadResourceApiConfig({ REDIS_URL: 'redis://cache:6379' }).redis).toEqual({ url: 'redis://cache:6379', keyPrefix: 'payapi:' });
    expect(loadResourceApiConfig({ REDIS_URL: 'rediss://user:pw@cache:6380/2', REDIS_KEY_PREFIX: 'payapi-sandbox:' }).redis)
      .toEqual({ url: 'rediss://user:pw@cache:6380/2', keyPrefix: 'payapi-sandbox:' });
  });

  test('production refuses to start without REDIS_URL (instances would each count alone), naming the variable', () => {
    expect(() => loadResourceApiConfig(PRODUCTION)).toThrow(/^REDIS_URL: is required when NODE_ENV=production/);
    expect(loadResourceApiConfig({ ...PRODUCTION, REDIS_URL: 'redis://cache:6379' }).redis?.url).toBe('redis://cache:6379');
  });

  test('a malformed REDIS_URL is refused without repeating it: it may carry a password', () => {
    let message = '';
    try {
      loadResourceApiConfig({ REDIS_URL: 'https://user:s3cret-pass@cache:6379' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^REDIS_URL: /);
    expect(message).not.toContain('s3cret-pass');
  });

  test('rate limits: sandbox 600 per client and 300 per address a minute, live 3000 and 600, or as configured', () => {
    expect(loadResourceApiConfig({}).rateLimits).toEqual({ perClientPerMinute: 600, perAddressPerMinute: 300 });
    expect(loadResourceApiConfig({ PAYAPI_ENVIRONMENT: 'live' }).rateLimits).toEqual({ perClientPerMinute: 3_000, perAddressPerMinute: 600 });
    expect(loadResourceApiConfig({ ...PRODUCTION, REDIS_URL: 'redis://cache:6379' }).rateLimits).toEqual({ perClientPerMinute: 3_000, perAddressPerMinute: 600 });
    expect(loadResourceApiConfig({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '' }).rateLimits)
      .toEqual({ perClientPerMinute: 5, perAddressPerMinute: 300 });
  });

  test('metrics: on the public port in demo mode with a warning; METRICS_PORT on 127.0.0.1; 9464 in production', () => {
    const demo = loadResourceApiConfig({});
    expect(demo.metrics).toEqual({ port: null, host: '127.0.0.1' });
    expect(demo.warnings).toContainEqual(expect.stringMatching(/^METRICS_PORT is unset: \/metrics is served on the public port/));
    const separate = loadResourceApiConfig({ METRICS_PORT: '9100' });
    expect(separate.metrics).toEqual({ port: 9100, host: '127.0.0.1' });
    expect(separate.warnings.filter((warning) => warning.startsWith('METRICS_PORT'))).toEqual([]);
    expect(loadResourceApiConfig({ METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9100, host: '0.0.0.0' });
    const production = loadResourceApiConfig({ ...PRODUCTION, REDIS_URL: 'redis://cache:6379' });
    expect([production.metrics, production.warnings]).toEqual([{ port: 9464, host: '127.0.0.1' }, []]);
  });

  test('TRUST_PROXY_HOPS: 0 unless set (the socket address counts), up to 10', () => {
    expect(loadResourceApiConfig({}).trustProxyHops).toBe(0);
    expect(loadResourceApiConfig({ TRUST_PROXY_HOPS: '2' }).trustProxyHops).toBe(2);
  });
});

describe('group commit of transfers (issue 18)', () => {
  test('TRANSFER_BATCH_MAX 64 and TRANSFER_BATCHES_IN_FLIGHT 2 unless set; 1 books every transfer alone', () => {
    expect(loadResourceApiConfig({}).transferBatches).toEqual({ batchMax: 64, inFlightMax: 2 });
    expect(loadResourceApiConfig({ TRANSFER_BATCH_MAX: '1', TRANSFER_BATCHES_IN_FLIGHT: '4' }).transferBatches).toEqual({ batchMax: 1, inFlightMax: 4 });
  });
});
