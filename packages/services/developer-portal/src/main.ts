/**
 * The developer portal on its own (`pnpm --filter @payapi/developer-portal start`): reads the
 * environment (see config.ts), applies every schema's pending migrations (the portal writes
 * through the ledger, events, auth and api packages), listens on PORT. Needs DATABASE_URL (demo
 * mode with the embedded database is `pnpm start` at the root).
 */
import { createServer } from 'node:http';
import { migrateAuth } from '@payapi/auth-server';
import { migrateEvents } from '@payapi/events';
import { migrateLedger } from '@payapi/ledger';
import { ConfigError, createDatabase, createLogger, describeConnectionError, listenOn, stopOnSignal } from '@payapi/platform';
import { migrateResourceApi } from '@payapi/resource-api';
import { createDeveloperPortal } from './app.ts';
import { loadDeveloperPortalConfig } from './config.ts';
import { migratePortal } from './migrations.ts';

async function main(): Promise<void> {
  const config = loadDeveloperPortalConfig(process.env);
  if (config.database.kind !== 'url') throw new ConfigError('DATABASE_URL', 'is required to run the developer portal on its own (or use `pnpm start`)');
  const logger = createLogger('developer-portal', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const db = createDatabase({ url: config.database.url, applicationName: 'payapi-portal' });
  try {
    await migrateLedger(db);
    await migrateEvents(db);
    await migrateAuth(db);
    await migrateResourceApi(db);
    await migratePortal(db);
  } catch (error) {
    throw new Error(describeConnectionError(error, config.database.url) ?? String(error));
  }
  const portal = createDeveloperPortal(config, db, { logger });
  const http = await listenOn(createServer(portal.handler), config.port, 'developer portal');
  logger.info({ url: config.publicUrl, port: config.port, environment: config.environment }, 'listening');
  stopOnSignal(async () => {
    await portal.close();
    await new Promise((resolve) => http.close(resolve));
    await db.destroy();
  });
}

// A service that cannot start says why in one plain line on stderr: the logger may not exist yet.
main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
