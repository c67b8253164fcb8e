import { randomBytes } from 'node:crypto';
import { migrateEvents } from '@payapi/events';
import { migrateAuth } from '@payapi/auth-server';
import { migrateLedger } from '@payapi/ledger';
import { createDatabase } from '@payapi/platform';
import { TEST_REDIS_URL } from '@payapi/platform/testing';
import { migrateResourceApi } from '@payapi/resource-api';
import { freePort, startServiceProcess } from './service-process.ts';
import type { ServiceName, ServiceProcess } from './service-process.ts';

/** Input of {@link startProductionSystem}. */
export interface ProductionSystemOptions {
  /** The database the three processes use; migrated here before they start. */
  databaseUrl: string;
  /** `LOG_LEVEL` of every process (default `warn`, as a production deployment would run). */
  logLevel?: string;
  /** Extra environment for every process (e.g. `UV_THREADPOOL_SIZE`, `WEBHOOKS_RETRY_SCHEDULE_S`). */
  env?: Readonly<Record<string, string>>;
  /** Extra `node` arguments for every process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** The authorization server, the resource API and the webhook delivery worker, each its own production-mode process. */
export interface ProductionSystem {
  auth: ServiceProcess;
  api: ServiceProcess;
  /** The webhook delivery worker (`packages/core/events/src/main.ts`); `url` is empty. */
  worker: ServiceProcess;
  /** The environment each process was started with (secrets included: keep it out of logs). */
  env: Record<ServiceName, Readonly<Record<string, string>>>;
  /** Starts a process again with the same environment and port (after {@link ServiceProcess.crash}). */
  restart(name: ServiceName): Promise<ServiceProcess>;
  /** Stops all three (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * The rate limits of the resource API started here (`RATE_LIMIT_PER_MINUTE` and
 * `RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE`, unless `env` says otherwise): the limiter stays on, so
 * the benchmark measures its cost (a Redis round trip per request), but no load or fault test,
 * which all send as one partner client from one address, is ever refused by it.
 */
export const UNREFUSED_RATE_LIMIT_PER_MINUTE = '100000000';

/**
 * Migrates `databaseUrl`, then starts the authorization server, the resource API and the webhook
 * delivery worker with `NODE_ENV=production`, the services on free ports of localhost, with fresh
 * random cookie keys, key encryption secret and webhook secrets key (production refuses demo
 * secrets) and `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true` (test receivers listen on loopback). The
 * resource API shares its state on the tests' Redis (`REDIS_URL`: `TEST_REDIS_URL` or
 * 127.0.0.1:6379, which production requires) under a key prefix of its own, with limits that never
 * refuse ({@link UNREFUSED_RATE_LIMIT_PER_MINUTE}) and its metrics on a free port of 127.0.0.1
 * (`METRICS_PORT`; {@link ServiceProcess.metricsUrl}). Nothing is seeded: register clients and
 * users with {@link seedPartner}.
 *
 * @throws {Error} with the service's last output when one does not start
 */
export async function startProductionSystem(options: ProductionSystemOptions): Promise<ProductionSystem> {
  const db = createDatabase({ url: options.databaseUrl, applicationName: 'payapi-system-testing' });
  try {
    await migrateLedger(db);
    await migrateEvents(db);
    await migrateAuth(db);
    await migrateResourceApi(db);
  } finally {
    await db.destroy();
  }
  const [authPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const apiUrl = `http://localhost:${apiPort}`;
  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    AUTH_ISSUER: issuer,
    RESOURCE_API_URL: apiUrl,
    LOG_LEVEL: options.logLevel ?? 'warn',
    // Both the API (which seals endpoint secrets) and the worker (which opens them) need the same key.
    WEBHOOK_SECRETS_KEY: randomBytes(32).toString('base64url'),
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    ...options.env,
  };
  const env: Record<ServiceName, Record<string, string>> = {
    'auth-server': {
      ...common,
      PORT: String(authPort),
      AUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      AUTH_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    },
    'resource-api': {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `payapi-system-${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_PER_MINUTE: UNREFUSED_RATE_LIMIT_PER_MINUTE,
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: UNREFUSED_RATE_LIMIT_PER_MINUTE,
      ...common,
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
    },
    'webhook-worker': { ...common },
  };
  const urls: Record<ServiceName, string> = { 'auth-server': issuer, 'resource-api': apiUrl, 'webhook-worker': '' };
  const start = (name: ServiceName): Promise<ServiceProcess> => startServiceProcess(name, urls[name], env[name], { nodeArgs: options.nodeArgs });
  const system: ProductionSystem = {
    auth: await start('auth-server'),
    api: undefined as unknown as ServiceProcess,
    worker: undefined as unknown as ServiceProcess,
    env,
    async restart(name) {
      const service = await start(name);
      if (name === 'auth-server') system.auth = service;
      else if (name === 'resource-api') system.api = service;
      else system.worker = service;
      return service;
    },
    async stop() {
      await Promise.all([system.worker?.stop(), system.api?.stop(), system.auth.stop()]);
    },
  };
  try {
    system.api = await start('resource-api');
    system.worker = await start('webhook-worker');
  } catch (error) {
    await Promise.all([system.api?.stop(), system.auth.stop()]);
    throw error;
  }
  return system;
}
