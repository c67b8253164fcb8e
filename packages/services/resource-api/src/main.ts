/**
 * The resource API on its own (`pnpm --filter @payapi/resource-api start`): reads the environment
 * (see config.ts), migrates schema `ledger`, checks that schema `auth` (the grant-state function)
 * is there, migrates its own schema `api` (the transfer statement that calls both), listens on PORT. Needs DATABASE_URL (demo mode with the embedded database is
 * `pnpm start` at the root).
 *
 * The request log (REQUEST_LOG=on) writes through a pool of its own: one connection, statements cut
 * at 10 s, so its batches and purges never take a connection a request is waiting for, and a slow
 * write ends in a counted drop rather than a long wait. On SIGTERM/SIGINT: stop listening, flush
 * the request log once (at most 5 s), close the pools.
 *
 * Revoked grants and payment consents are noticed on a connection of their own (LISTEN; see
 * auth/revocations.ts), so every call is checked against memory, not the database
 * (`REVOCATION_CHECK=notices`, the default).
 *
 * With `REDIS_URL` (required in production) it connects to Redis before listening (failing the
 * start, URL redacted, when Redis does not answer within 2 s): DPoP proof uses and rate-limit
 * counters are shared there with the other instances. With `METRICS_PORT` (9464 in production)
 * `/metrics` is served on that port of `METRICS_HOST` (127.0.0.1) only.
 */
import { createServer } from 'node:http';
import { migrateLedger } from '@payapi/ledger';
import { migrateEvents } from '@payapi/events';
import { ConfigError, closeRedis, createDatabase, createLogger, describeConnectionError, listenOn, openRedis, stopOnSignal } from '@payapi/platform';
import { createResourceApi } from './app.ts';
import { createMetrics } from './observability/metrics.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { problemTypeBase } from './errors/problem.ts';
import { createRevocationWatch } from './auth/revocations.ts';
import { loadResourceApiConfig } from './config.ts';
import { migrateResourceApi } from './migrations.ts';
import { createRequestLog } from './request-log/request-log.ts';

async function main(): Promise<void> {
  const config = loadResourceApiConfig(process.env);
  if (config.database.kind !== 'url') throw new ConfigError('DATABASE_URL', 'is required to run the resource API on its own (or use `pnpm start`)');
  const db = createDatabase({ url: config.database.url, applicationName: 'payapi-resource' });
  try {
    await migrateLedger(db);
    await migrateEvents(db);
  } catch (error) {
    throw new Error(describeConnectionError(error, config.database.url) ?? String(error));
  }
  const { rows } = await db.raw<{ rows: Array<{ found: string | null }> }>(
    `SELECT to_regprocedure('auth.access_token_account_ids(text)')::text AS found`);
  if (!rows[0]?.found) throw new Error('schema auth is not migrated (auth.access_token_account_ids is missing): start the authorization server first, or run `pnpm cli db:migrate`');
  await migrateResourceApi(db);
  const logger = createLogger('resource-api', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const requestLogDb = config.requestLog.enabled
    ? createDatabase({ url: config.database.url, applicationName: 'payapi-resource-request-log', poolMax: 1, statementTimeoutMs: 10_000 })
    : undefined;
  const requestLog = requestLogDb ? createRequestLog(requestLogDb, config.requestLog, logger) : null;
  const redis = config.redis ? await openRedis(config.redis, { logger, connectionName: 'payapi-resource-api' }) : undefined;
  const revocations = config.revocationCheck === 'notices'
    ? createRevocationWatch(db, { logger, clockToleranceSeconds: config.clockToleranceSeconds })
    : undefined;
  const metrics = createMetrics();
  const app = createResourceApi(config, db, { logger, requestLog, metrics, ...(redis ? { redis } : {}), ...(revocations ? { revocations } : {}) });
  const metricsHttp = await startMetricsServer(config.metrics, metrics);
  const http = await listenOn(createServer(app), config.port, 'resource API', { problemTypeBase: problemTypeBase(config.publicUrl), address: config.listenAddress });
  logger.info({
    url: config.publicUrl, port: config.port, requestLog: config.requestLog.enabled, sharedState: redis ? 'redis' : 'memory',
    metrics: config.metrics.port === null ? 'public port' : `${config.metrics.host}:${config.metrics.port}`,
  }, 'listening');
  stopOnSignal(async () => {
    await new Promise((resolve) => http.close(resolve));
    await new Promise((resolve) => (metricsHttp ? metricsHttp.close(resolve) : resolve(undefined)));
    await requestLog?.close();
    if (redis) await closeRedis(redis);
    await requestLogDb?.destroy();
    await revocations?.close();
    await db.destroy();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
