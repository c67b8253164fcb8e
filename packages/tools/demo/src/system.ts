/**
 * The whole system in one process, as `pnpm start` runs it: migrations, demo seeding (never with
 * NODE_ENV=production), the authorization server, the resource API, the partner demo and the
 * developer portal, each on the port of its URL, and the webhook delivery worker. The end-to-end tests start it the same way
 * on a test database.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createSecretBox, loadWebhookWorkerConfig, migrateEvents, startDeliveryWorker } from '@payapi/events';
import type { DeliveryWorker } from '@payapi/events';
import { createAuthServer, loadAuthServerConfig, migrateAuth } from '@payapi/auth-server';
import { createDeveloperPortal, loadDeveloperPortalConfig, migratePortal } from '@payapi/developer-portal';
import type { DeveloperPortal } from '@payapi/developer-portal';
import { migrateLedger } from '@payapi/ledger';
import { closeRedis, createLogger, listenOn, openRedis } from '@payapi/platform';
import { createPartnerDemo, loadPartnerDemoConfig } from '@payapi/partner-demo';
import type { PartnerDemoOptions } from '@payapi/partner-demo';
import {
  createMetrics, createResourceApi, createRevocationWatch, loadResourceApiConfig, migrateResourceApi, problemTypeBase, startMetricsServer,
} from '@payapi/resource-api';
import type { RevocationWatch } from '@payapi/resource-api';
import type { Redis } from '@payapi/platform';
import type { Knex } from 'knex';
import type { DestinationStream } from 'pino';
import { seedDemo } from './seed.ts';
import type { SeedReport } from './seed.ts';

/** Input of {@link startSystem}. */
export interface SystemOptions {
  /** The environment the services read (AUTH_ISSUER, RESOURCE_API_URL, PARTNER_DEMO_URL…); PORT is ignored. */
  env: Readonly<Record<string, string | undefined>>;
  /** A knex instance on the database; {@link RunningSystem.close} does not destroy it. */
  db: Knex;
  /** Passed to the partner demo (tests hand in their session store). */
  partnerDemo?: PartnerDemoOptions;
  /** Where every service's log lines go (default stdout); tests read them. */
  logDestination?: DestinationStream;
}

/** A started system. */
export interface RunningSystem {
  urls: { auth: string; api: string; partner: string; portal: string };
  /** Migrations applied by this start. */
  applied: string[];
  /** What seeding did; undefined with NODE_ENV=production (nothing seeded). */
  seed: SeedReport | undefined;
  /** Demo defaults in use, one line each. */
  warnings: string[];
  /** Stops the four servers (connections included) and the delivery worker (after its attempts in flight, at most 15 s). */
  close(): Promise<void>;
}

/**
 * Migrates, seeds outside production, and starts the four services and the webhook delivery
 * worker. Demo mode sets `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true` unless the environment says
 * otherwise, so webhook endpoints may be on localhost (the API registers them, the worker sends).
 * With `REDIS_URL` the resource API shares DPoP proof uses and rate-limit counters there (it
 * connects first); with `METRICS_PORT` its `/metrics` is served on that port only.
 *
 * @throws {Error} naming the port when one is taken; configuration errors of each service
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  // One process for every service: PORT would apply to all of them, so each takes the port of its
  // URL; request logs stay off the terminal (warn) unless LOG_LEVEL asks for them.
  const env = {
    ...options.env, PORT: undefined, LOG_LEVEL: options.env.LOG_LEVEL ?? 'warn',
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: options.env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS ?? 'true',
  };
  const authConfig = loadAuthServerConfig(env);
  const apiConfig = loadResourceApiConfig(env);
  const partnerConfig = loadPartnerDemoConfig(env);
  const workerConfig = loadWebhookWorkerConfig(env);
  const portalConfig = loadDeveloperPortalConfig(env);
  const logDestination = options.logDestination;
  const applied = [...(await migrateLedger(options.db)), ...(await migrateEvents(options.db)), ...(await migrateAuth(options.db)),
    ...(await migrateResourceApi(options.db)), ...(await migratePortal(options.db))];
  const seed = authConfig.production ? undefined : await seedDemo(options.db, {
    partnerDemoUrl: partnerConfig.publicUrl,
    partnerDemoClientSecret: partnerConfig.clientSecret,
    partnerDemoJwks: partnerConfig.clientKey ? { keys: [partnerConfig.clientKey.publicJwk] } : undefined,
    production: authConfig.production,
  });
  // The Pay form suggests Bob Current as payee, unless PARTNER_DEMO_PAYEE_ACCOUNT_ID says otherwise.
  const payeeAccountId = partnerConfig.payeeAccountId || (seed?.accounts.find((account) => account.name === 'Bob Current')?.id ?? '');
  const auth = await createAuthServer(authConfig, options.db, { logDestination });
  const servers: Server[] = [];
  let worker: DeliveryWorker | undefined;
  let portal: DeveloperPortal | undefined;
  let revocations: RevocationWatch | undefined;
  let redis: Redis | undefined;
  const closeAll = async (): Promise<void> => {
    const workerStopped = worker?.stop();
    await auth.close();
    await portal?.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await workerStopped;
    await revocations?.close();
    if (redis) await closeRedis(redis);
  };
  try {
    servers.push(await listenOn(createServer(auth.handler), authConfig.port, 'authorization server'));
    // Revocation at once (docs/resource-api.md): notices kept in memory, unless REVOCATION_CHECK says otherwise.
    const apiLogger = createLogger('resource-api', apiConfig.logLevel, logDestination);
    revocations = apiConfig.revocationCheck === 'notices'
      ? createRevocationWatch(options.db, { logger: apiLogger, clockToleranceSeconds: apiConfig.clockToleranceSeconds })
      : undefined;
    // Shared state (docs/operations.md): on Redis with REDIS_URL, else this process's memory (a warning says so).
    redis = apiConfig.redis ? await openRedis(apiConfig.redis, { logger: apiLogger, connectionName: 'payapi-resource-api' }) : undefined;
    const metrics = createMetrics();
    const api = createResourceApi(apiConfig, options.db, { logger: apiLogger, metrics, ...(redis ? { redis } : {}), ...(revocations ? { revocations } : {}) });
    const metricsServer = await startMetricsServer(apiConfig.metrics, metrics);
    if (metricsServer) servers.push(metricsServer);
    servers.push(await listenOn(createServer(api), apiConfig.port, 'resource API', { problemTypeBase: problemTypeBase(apiConfig.publicUrl) }));
    servers.push(await listenOn(createServer(createPartnerDemo({ ...partnerConfig, payeeAccountId }, { logDestination, ...options.partnerDemo })), partnerConfig.port, 'partner demo'));
    portal = createDeveloperPortal(portalConfig, options.db, { logDestination });
    servers.push(await listenOn(createServer(portal.handler), portalConfig.port, 'developer portal'));
    worker = startDeliveryWorker(options.db, {
      ...workerConfig.delivery,
      secrets: createSecretBox(workerConfig.secretsKey),
      logger: createLogger('webhook-worker', workerConfig.logLevel, logDestination),
    });
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    urls: { auth: authConfig.issuer, api: apiConfig.publicUrl, partner: partnerConfig.publicUrl, portal: portalConfig.publicUrl },
    applied,
    seed,
    warnings: [...new Set([...authConfig.warnings, ...apiConfig.warnings, ...partnerConfig.warnings, ...workerConfig.warnings, ...portalConfig.warnings])],
    close: closeAll,
  };
}
