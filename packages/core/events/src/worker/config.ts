import { ConfigError, readInteger, readLogLevel, readPayapiEnvironment, resolveDatabaseUrl } from '@payapi/platform';
import type { DatabaseSource, LogLevel } from '@payapi/platform';
import { readWebhooksAllowPrivateNetworks, readWebhookSecretsKey } from '../webhook-config.ts';
import { DELIVERY_LIMITS_DEFAULT, LEASE_MARGIN_MS, RETRY_SCHEDULE_SECONDS_DEFAULT } from './settings.ts';
import type { DeliverySettings } from './settings.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `application_name` of the worker process's connections, as `pg_stat_activity` shows them; its
 * migrations run under `<name>-migrate`, so a connection with this name means it delivers.
 */
export const WEBHOOK_WORKER_APPLICATION_NAME = 'payapi-webhook-worker';

/** The delivery worker's configuration, read and checked once at start (docs/operations.md, "Configuration"). */
export interface WebhookWorkerConfig {
  database: DatabaseSource;
  /** `LOG_LEVEL` (default `info`). */
  logLevel: LogLevel;
  /** `NODE_ENV=production`: no demo defaults. */
  production: boolean;
  /** `WEBHOOK_SECRETS_KEY`: opens the sealed endpoint secrets (`createSecretBox`). */
  secretsKey: string;
  delivery: DeliverySettings;
  /** Demo defaults or risky settings in use, one line each. */
  warnings: string[];
}

/** Most retries `WEBHOOKS_RETRY_SCHEDULE_S` may list, and the longest wait, seconds (7 days). */
const RETRIES_MAX = 20;
const RETRY_WAIT_MAX_SECONDS = 7 * 24 * 60 * 60;
/** `EVENTS_RETENTION_DAYS` bounds: the 30 days partners see, up to 100 years. */
const RETENTION_DAYS_MIN = 30;
const RETENTION_DAYS_MAX = 36_500;
const RETENTION_DAYS_DEFAULT = 400;
/** `WEBHOOKS_LEASE_S` bounds: an attempt's timeout plus the margin, up to an hour. */
const LEASE_SECONDS_MIN = (DELIVERY_LIMITS_DEFAULT.timeoutMs + LEASE_MARGIN_MS) / 1_000;
const LEASE_SECONDS_MAX = 3_600;

/**
 * Reads the environment into a {@link WebhookWorkerConfig}.
 *
 * @param env usually `process.env`; reads `DATABASE_URL`, `NODE_ENV`, `LOG_LEVEL`, `PAYAPI_ENVIRONMENT`,
 *   `WEBHOOK_SECRETS_KEY`, `WEBHOOKS_ALLOW_PRIVATE_NETWORKS`, `WEBHOOKS_RETRY_SCHEDULE_S`,
 *   `WEBHOOKS_LEASE_S`, `EVENTS_RETENTION_DAYS`
 * @throws {ConfigError} naming the variable: a malformed value; with `NODE_ENV=production`, a missing
 *   `DATABASE_URL` or `WEBHOOK_SECRETS_KEY`, the demo secrets key, or `PAYAPI_ENVIRONMENT=sandbox`
 */
export function loadWebhookWorkerConfig(env: Env): WebhookWorkerConfig {
  const warnings: string[] = [];
  const secretsKey = readWebhookSecretsKey(env, warnings);
  const allowPrivateNetworks = readWebhooksAllowPrivateNetworks(env, warnings);
  const retrySeconds = readRetrySchedule(env.WEBHOOKS_RETRY_SCHEDULE_S);
  return {
    database: resolveDatabaseUrl(env),
    logLevel: readLogLevel(env.LOG_LEVEL),
    production: env.NODE_ENV === 'production',
    secretsKey,
    delivery: {
      ...DELIVERY_LIMITS_DEFAULT,
      environment: readPayapiEnvironment(env),
      urlPolicy: { allowPrivateNetworks },
      retryScheduleMs: retrySeconds.map((seconds) => Math.round(seconds * 1_000)),
      leaseMs: readInteger('WEBHOOKS_LEASE_S', env.WEBHOOKS_LEASE_S, DELIVERY_LIMITS_DEFAULT.leaseMs / 1_000, LEASE_SECONDS_MIN, LEASE_SECONDS_MAX) * 1_000,
      retentionDays: readInteger('EVENTS_RETENTION_DAYS', env.EVENTS_RETENTION_DAYS, RETENTION_DAYS_DEFAULT, RETENTION_DAYS_MIN, RETENTION_DAYS_MAX),
    },
    warnings,
  };
}

/**
 * `WEBHOOKS_RETRY_SCHEDULE_S`: the waits before each retry, seconds, comma-separated (`5,300,1800`),
 * decimals allowed (`0.5`); unset or empty is the default schedule.
 */
function readRetrySchedule(value: string | undefined): readonly number[] {
  if (value === undefined || value.trim() === '') return RETRY_SCHEDULE_SECONDS_DEFAULT;
  const parts = value.split(',').map((part) => part.trim());
  const valid = parts.length <= RETRIES_MAX
    && parts.every((part) => /^[0-9]{1,7}(\.[0-9]{1,3})?$/.test(part) && Number(part) <= RETRY_WAIT_MAX_SECONDS);
  if (!valid) {
    throw new ConfigError('WEBHOOKS_RETRY_SCHEDULE_S',
      `must be at most ${RETRIES_MAX} comma-separated waits in seconds, each from 0 to ${RETRY_WAIT_MAX_SECONDS} (e.g. 5,300,1800)`);
  }
  return parts.map(Number);
}
