import { describe, expect, test } from '@jest/globals';
import { DEMO_WEBHOOK_SECRETS_KEY, readWebhookSecretsKey } from '../webhook-config.ts';
import { loadWebhookWorkerConfig } from './config.ts';

const KEY = 'k'.repeat(32);
const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/payapi', WEBHOOK_SECRETS_KEY: KEY };

describe('loadWebhookWorkerConfig', () => {
  test('has the documented defaults', () => {
    const config = loadWebhookWorkerConfig({});
    expect(config).toMatchObject({ database: { kind: 'embedded' }, logLevel: 'info', production: false });
    expect(config.delivery).toMatchObject({
      environment: 'sandbox', urlPolicy: { allowPrivateNetworks: false },
      retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      timeoutMs: 15_000, leaseMs: 60_000, responseBodyMaxBytes: 65_536, concurrencyPerEndpoint: 4, concurrencyTotal: 32, claimDepthPerEndpoint: 64, queueWaitMaxMs: 2_000,
      failingDisableAfterMs: 432_000_000, retentionDays: 400, retentionIntervalMs: 600_000,
    });
    expect(config.warnings).toEqual(['WEBHOOK_SECRETS_KEY is unset: webhook endpoint secrets are sealed with a public demo key']);
  });

  test('reads every variable', () => {
    const config = loadWebhookWorkerConfig({
      ...PRODUCTION, LOG_LEVEL: 'debug', PAYAPI_ENVIRONMENT: 'live', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOKS_RETRY_SCHEDULE_S: '0.5, 2,60', WEBHOOKS_LEASE_S: '20', EVENTS_RETENTION_DAYS: '30',
    });
    expect(config).toMatchObject({ database: { kind: 'url' }, logLevel: 'debug', production: true, secretsKey: KEY });
    expect(config.delivery).toMatchObject({
      environment: 'live', urlPolicy: { allowPrivateNetworks: true }, retryScheduleMs: [500, 2_000, 60_000], leaseMs: 20_000, retentionDays: 30,
    });
    expect(config.warnings).toEqual(['WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true in production: webhook endpoints may point at loopback and private addresses']);
  });

  test.each([
    [{ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'yes' }, /^WEBHOOKS_ALLOW_PRIVATE_NETWORKS: must be true or false/],
    [{ WEBHOOKS_RETRY_SCHEDULE_S: '5,,300' }, /^WEBHOOKS_RETRY_SCHEDULE_S: /],
    [{ WEBHOOKS_RETRY_SCHEDULE_S: '-5' }, /^WEBHOOKS_RETRY_SCHEDULE_S: /],
    [{ WEBHOOKS_RETRY_SCHEDULE_S: '5m' }, /^WEBHOOKS_RETRY_SCHEDULE_S: /],
    [{ WEBHOOKS_RETRY_SCHEDULE_S: '604801' }, /^WEBHOOKS_RETRY_SCHEDULE_S: /],
    [{ WEBHOOKS_RETRY_SCHEDULE_S: Array.from({ length: 21 }, () => '1').join(',') }, /^WEBHOOKS_RETRY_SCHEDULE_S: /],
    [{ EVENTS_RETENTION_DAYS: '29' }, /^EVENTS_RETENTION_DAYS: must be an integer from 30/],
    [{ EVENTS_RETENTION_DAYS: '1e3' }, /^EVENTS_RETENTION_DAYS: /],
    [{ WEBHOOKS_LEASE_S: '19' }, /^WEBHOOKS_LEASE_S: must be an integer from 20/],
    [{ PAYAPI_ENVIRONMENT: 'staging' }, /^PAYAPI_ENVIRONMENT: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadWebhookWorkerConfig(env)).toThrow(message);
  });
});

describe('readWebhookSecretsKey', () => {
  test('outside production, an unset key is the demo key, with a warning', () => {
    const warnings: string[] = [];
    expect(readWebhookSecretsKey({}, warnings)).toBe(DEMO_WEBHOOK_SECRETS_KEY);
    expect(warnings).toEqual(['WEBHOOK_SECRETS_KEY is unset: webhook endpoint secrets are sealed with a public demo key']);
    expect(readWebhookSecretsKey({ WEBHOOK_SECRETS_KEY: KEY }, [])).toBe(KEY);
  });

  test.each([
    [{ NODE_ENV: 'production' }, /^WEBHOOK_SECRETS_KEY: is required in production/],
    [{ NODE_ENV: 'production', WEBHOOK_SECRETS_KEY: DEMO_WEBHOOK_SECRETS_KEY }, /^WEBHOOK_SECRETS_KEY: is the public demo key/],
    [{ WEBHOOK_SECRETS_KEY: 'short' }, /^WEBHOOK_SECRETS_KEY: must be at least 32 characters/],
  ])('refuses %o', (env, message) => {
    expect(() => readWebhookSecretsKey(env, [])).toThrow(message);
  });
});
