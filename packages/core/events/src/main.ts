/**
 * The webhook delivery worker on its own (`pnpm webhook-worker`, i.e.
 * `node packages/core/events/src/main.ts`): reads the environment (worker/config.ts), migrates
 * schema `events`, delivers until SIGTERM or SIGINT, then lets the attempts in flight end (at most
 * 15 s) and exits. Needs DATABASE_URL (demo mode, `pnpm start`, runs the worker inside its one process).
 * Run as many as you like on one database: they share the work (docs/webhooks.md, "Delivery").
 */
import { ConfigError, createDatabase, createLogger, describeConnectionError, stopOnSignal } from '@payapi/platform';
import { migrateEvents } from './migrations.ts';
import { createSecretBox } from './secrets.ts';
import { WEBHOOK_WORKER_APPLICATION_NAME, loadWebhookWorkerConfig } from './worker/config.ts';
import { startDeliveryWorker } from './worker/delivery-worker.ts';

async function main(): Promise<void> {
  const config = loadWebhookWorkerConfig(process.env);
  if (config.database.kind !== 'url') throw new ConfigError('DATABASE_URL', 'is required to run the webhook worker on its own (or use `pnpm start`)');
  const logger = createLogger('webhook-worker', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  // Migrations run on a connection of their own: one named WEBHOOK_WORKER_APPLICATION_NAME then
  // means a worker that delivers (the system tests wait for it).
  const migrator = createDatabase({ url: config.database.url, poolMax: 2, applicationName: `${WEBHOOK_WORKER_APPLICATION_NAME}-migrate` });
  try {
    await migrateEvents(migrator);
  } catch (error) {
    throw new Error(describeConnectionError(error, config.database.url) ?? String(error));
  } finally {
    await migrator.destroy();
  }
  const db = createDatabase({ url: config.database.url, applicationName: WEBHOOK_WORKER_APPLICATION_NAME });
  const worker = startDeliveryWorker(db, { ...config.delivery, secrets: createSecretBox(config.secretsKey), logger });
  stopOnSignal(async () => {
    logger.info('stopping: waiting for the attempts in flight');
    await worker.stop();
    await db.destroy();
  });
}

// A worker that cannot start says why in one plain line on stderr, as the services do.
main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
