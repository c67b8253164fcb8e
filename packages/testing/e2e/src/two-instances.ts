/**
 * Two instances of each service in one test process, as a cluster runs them (deploy/cluster/):
 * two authorization servers behind one issuer URL (a switch the test points at either), and
 * resource API instances each with its own database pool, Redis client, revocation watch and
 * memory, sharing only what a cluster shares: PostgreSQL and Redis.
 */
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createAuthServer, loadAuthServerConfig } from '@payapi/auth-server';
import type { AuthServer } from '@payapi/auth-server';
import type { TestAuthServer } from '@payapi/auth-server/testing';
import { closeRedis, createDatabase, createLogger, openRedis } from '@payapi/platform';
import type { Redis } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import { createResourceApi, createRevocationWatch, loadResourceApiConfig } from '@payapi/resource-api';
import type { ResourceApiConfig, RevocationWatch } from '@payapi/resource-api';
import type { Knex } from 'knex';

const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A load balancer reduced to a switch: every request goes, unchanged (Host included), to the backend chosen last. */
export interface Switch {
  url: string;
  /** Sends the following requests to `backend` (a base URL). */
  route(backend: string): void;
  close(): Promise<void>;
}

export async function startSwitch(): Promise<Switch> {
  let backend = '';
  const server = createServer((req, res) => {
    const target = new URL(backend);
    const forwarded = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  const url = await listen(server);
  return { url, route: (next) => { backend = next; }, close: () => close(server) };
}

/** One authorization server instance: its own pool, client cache, key timers and port; the shared issuer URL. */
export interface AuthInstance {
  /** Where this instance listens (requests must still carry the issuer's Host: go through the switch). */
  url: string;
  auth: AuthServer;
  /** The same instance as the auth-server test helpers take it (`seedUser`, `seedClient`, `authorize`), issuer = the switch. */
  asTestServer: TestAuthServer;
  close(): Promise<void>;
}

export async function startAuthInstance(env: Record<string, string>, database: TestDatabase): Promise<AuthInstance> {
  const db = createDatabase({ url: database.url, applicationName: 'payapi-auth-instance' });
  const config = loadAuthServerConfig(env);
  const auth = await createAuthServer(config, db, { logDestination: sink() });
  const server = createServer(auth.handler);
  const url = await listen(server);
  const stop = async (): Promise<void> => {
    await auth.close();
    await close(server);
    await db.destroy();
  };
  return { url, auth, close: stop, asTestServer: { issuer: config.issuer, database, auth, logs: [], close: stop } };
}

/** One resource API instance. */
export interface ApiInstance {
  url: string;
  config: ResourceApiConfig;
  redis: Redis;
  revocations: RevocationWatch;
  db: Knex;
  close(): Promise<void>;
}

/**
 * Starts a resource API instance from `env` as main.ts would (its own pool, Redis client and
 * revocation watch, waited for), with `configure` applied to its configuration.
 */
export async function startApiInstance(
  env: Record<string, string>, configure: (config: ResourceApiConfig) => ResourceApiConfig = (config) => config,
): Promise<ApiInstance> {
  const config = configure(loadResourceApiConfig(env));
  if (!config.redis || config.database.kind !== 'url') throw new Error('an instance needs REDIS_URL and DATABASE_URL');
  const logger = createLogger('resource-api', 'silent');
  const db = createDatabase({ url: config.database.url, applicationName: 'payapi-resource-instance' });
  const redis = await openRedis(config.redis, { logger, connectionName: 'payapi-resource-instance' });
  const revocations = createRevocationWatch(db, { logger, clockToleranceSeconds: config.clockToleranceSeconds });
  if (!(await revocations.ready(10_000))) throw new Error('the revocation watch did not start listening within 10 s');
  const server = createServer(createResourceApi(config, db, { logger, redis, revocations, requestLog: null }));
  const url = await listen(server);
  return {
    url, config, redis, revocations, db,
    async close() {
      await close(server);
      await revocations.close();
      await closeRedis(redis);
      await db.destroy();
    },
  };
}
