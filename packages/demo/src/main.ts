/**
 * `pnpm start`: the whole system in demo mode, in one process. Today: the embedded PostgreSQL
 * (unless DATABASE_URL is set) with every package's migrations applied, and the authorization
 * server on :4000. The resource API and partner demo join here as they are built.
 * Ctrl-C (SIGINT) or SIGTERM stops everything, PostgreSQL included.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createAuthServer, loadAuthServerConfig, migrateAuth } from '@payapi/auth-server';
import { migrateLedger } from '@payapi/ledger';
import {
  ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, redactDatabaseUrl, resolveDatabaseUrl, startEmbeddedPostgres,
} from '@payapi/platform';
import type { RunningPostgres } from '@payapi/platform';

let embedded: RunningPostgres | undefined;
let databaseUrl: string | undefined;

async function main(): Promise<void> {
  const authConfig = loadAuthServerConfig(process.env);
  const source = resolveDatabaseUrl(process.env);
  let url: string;
  if (source.kind === 'embedded') {
    console.warn(`demo mode: DATABASE_URL is unset, starting the embedded PostgreSQL (data in ${DEMO_POSTGRES.dataDir})`);
    embedded = await startEmbeddedPostgres(DEMO_POSTGRES);
    url = embedded.url;
  } else {
    url = source.url;
  }
  databaseUrl = url;
  const db = createDatabase({ url, applicationName: 'payapi-demo' });
  const applied = [...(await migrateLedger(db)), ...(await migrateAuth(db))];
  for (const warning of authConfig.warnings) console.warn(`demo mode: ${warning}`);
  const auth = await createAuthServer(authConfig, db);
  const authHttp = await listen(createServer(auth.handler), authConfig.port, 'authorization server');
  console.log([
    '',
    `database              ${redactDatabaseUrl(url)}`,
    `migrations            ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`,
    `authorization server  ${authConfig.issuer}  (discovery: ${authConfig.issuer}/.well-known/openid-configuration)`,
    '',
    'The resource API (:4001) and partner demo (:4002) are not built yet, and nothing is seeded:',
    'create a user, an account and a client with `pnpm cli users:create`, `accounts:open`, `clients:create`.',
    'ready. Press Ctrl-C to stop.',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping');
  auth.close();
  authHttp.closeAllConnections();
  await new Promise((resolve) => authHttp.close(resolve));
  await db.destroy();
  await embedded?.stop();
}

/** Listens on `port`, or fails with one line naming the port when it is taken. */
function listen(server: Server, port: number, what: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use: stop what holds it, or set PORT` : error.message));
    });
    server.listen(port, () => resolve(server));
  });
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    const unreachable = databaseUrl === undefined ? undefined : describeConnectionError(error, databaseUrl);
    const detail = error instanceof Error ? (process.env.LOG_LEVEL === 'debug' ? error.stack : error.message) : String(error);
    console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : (unreachable ?? `cannot start: ${detail}`));
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  },
);
