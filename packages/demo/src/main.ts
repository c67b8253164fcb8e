/**
 * `pnpm start`: the whole system in demo mode, in one process. Today: the embedded PostgreSQL
 * (unless DATABASE_URL is set) with every package's migrations applied, the authorization server on
 * :4000 and the resource API on :4001. The partner demo and seeding join here as they are built.
 * Each service takes its port from its URL (AUTH_ISSUER, RESOURCE_API_URL); PORT is ignored here.
 * Ctrl-C (SIGINT) or SIGTERM stops everything, PostgreSQL included.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createAuthServer, loadAuthServerConfig, migrateAuth } from '@payapi/auth-server';
import { migrateLedger } from '@payapi/ledger';
import { createResourceApi, loadResourceApiConfig } from '@payapi/resource-api';
import {
  ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, redactDatabaseUrl, resolveDatabaseUrl, startEmbeddedPostgres,
} from '@payapi/platform';
import type { RunningPostgres } from '@payapi/platform';

let embedded: RunningPostgres | undefined;
let databaseUrl: string | undefined;

async function main(): Promise<void> {
  const serviceEnv = { ...process.env, PORT: undefined };
  const authConfig = loadAuthServerConfig(serviceEnv);
  const apiConfig = loadResourceApiConfig(serviceEnv);
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
  const apiHttp = await listen(createServer(createResourceApi(apiConfig, db)), apiConfig.port, 'resource API');
  console.log([
    '',
    `database              ${redactDatabaseUrl(url)}`,
    `migrations            ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`,
    `authorization server  ${authConfig.issuer}  (discovery: ${authConfig.issuer}/.well-known/openid-configuration)`,
    `resource API          ${apiConfig.publicUrl}  (docs: ${apiConfig.publicUrl}/docs)`,
    '',
    'The partner demo (:4002) is not built yet, and nothing is seeded:',
    'create a user, an account and a client with `pnpm cli users:create`, `accounts:open`, `clients:create`.',
    'ready. Press Ctrl-C to stop.',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping');
  auth.close();
  for (const http of [authHttp, apiHttp]) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
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
