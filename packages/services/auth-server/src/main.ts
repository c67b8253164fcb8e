/**
 * The authorization server on its own (`pnpm --filter @payapi/auth-server start`): reads the
 * environment (see config.ts), migrates schema `auth`, listens on PORT. Needs DATABASE_URL (demo
 * mode with the embedded database is `pnpm start` at the root).
 */
import { createServer } from 'node:http';
import { migrateEvents } from '@payapi/events';
import { ConfigError, createDatabase, createLogger, describeConnectionError, listenOn, stopOnSignal } from '@payapi/platform';
import { loadAuthServerConfig } from './config.ts';
import { migrateAuth } from './migrations.ts';
import { createAuthServer } from './server.ts';

async function main(): Promise<void> {
  const config = loadAuthServerConfig(process.env);
  if (config.database.kind !== 'url') throw new ConfigError('DATABASE_URL', 'is required to run the authorization server on its own (or use `pnpm start`)');
  const logger = createLogger('auth-server', config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const db = createDatabase({ url: config.database.url, applicationName: 'payapi-auth' });
  try {
    await migrateEvents(db);
    await migrateAuth(db);
  } catch (error) {
    throw new Error(describeConnectionError(error, config.database.url) ?? String(error));
  }
  const server = await createAuthServer(config, db, { logger });
  const http = await listenOn(createServer(server.handler), config.port, 'authorization server', { address: config.listenAddress });
  logger.info({ url: config.issuer, port: config.port }, 'listening');
  stopOnSignal(async () => {
    await server.close();
    await new Promise((resolve) => http.close(resolve));
    await db.destroy();
  });
}

// A service that cannot start says why in one plain line on stderr: the logger may not exist yet,
// or LOG_LEVEL itself may be what is wrong.
main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
