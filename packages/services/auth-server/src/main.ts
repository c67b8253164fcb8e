/**
 * The authorization server on its own (`pnpm --filter @payapi/auth-server start`): reads the
 * environment (see config.ts), migrates schema `auth`, listens on PORT. Needs DATABASE_URL (demo
 * mode with the embedded database is `pnpm start` at the root).
 */
import { createServer } from 'node:http';
import { ConfigError, createDatabase, describeConnectionError, listenOn, stopOnSignal } from '@payapi/platform';
import { loadAuthServerConfig } from './config.ts';
import { migrateAuth } from './migrations.ts';
import { createAuthServer } from './server.ts';

async function main(): Promise<void> {
  const config = loadAuthServerConfig(process.env);
  if (config.database.kind !== 'url') throw new ConfigError('DATABASE_URL', 'is required to run the authorization server on its own (or use `pnpm start`)');
  for (const warning of config.warnings) console.warn(`auth-server: ${warning}`);
  const db = createDatabase({ url: config.database.url, applicationName: 'payapi-auth' });
  try {
    await migrateAuth(db);
  } catch (error) {
    throw new Error(describeConnectionError(error, config.database.url) ?? String(error));
  }
  const server = await createAuthServer(config, db);
  const http = await listenOn(createServer(server.handler), config.port, 'authorization server');
  console.log(`auth-server: ${config.issuer} (listening on ${config.port})`);
  stopOnSignal(async () => {
    await server.close();
    await new Promise((resolve) => http.close(resolve));
    await db.destroy();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : error);
  process.exit(1);
});
