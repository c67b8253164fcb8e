import { randomBytes } from 'node:crypto';
import { migrateEvents } from '@payapi/events';
import { migrateAuth } from '@payapi/auth-server';
import { migrateLedger } from '@payapi/ledger';
import { createDatabase } from '@payapi/platform';
import { migrateResourceApi } from '@payapi/resource-api';
import { freePort, startServiceProcess } from './service-process.ts';
import type { ServiceName, ServiceProcess } from './service-process.ts';

/** Input of {@link startProductionSystem}. */
export interface ProductionSystemOptions {
  /** The database both services use; migrated here before they start. */
  databaseUrl: string;
  /** `LOG_LEVEL` of both services (default `warn`, as a production deployment would run). */
  logLevel?: string;
  /** Extra environment for both services (e.g. `UV_THREADPOOL_SIZE`). */
  env?: Readonly<Record<string, string>>;
  /** Extra `node` arguments for both services (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** The authorization server and the resource API, each its own production-mode process. */
export interface ProductionSystem {
  auth: ServiceProcess;
  api: ServiceProcess;
  /** The environment each service was started with (secrets included: keep it out of logs). */
  env: Record<ServiceName, Readonly<Record<string, string>>>;
  /** Starts a service again with the same environment and port (after {@link ServiceProcess.crash}). */
  restart(name: ServiceName): Promise<ServiceProcess>;
  /** Stops both (SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Migrates `databaseUrl`, then starts the authorization server and the resource API with
 * `NODE_ENV=production` on free ports of localhost, with fresh random cookie keys and key
 * encryption secret (production refuses demo secrets). Nothing is seeded: register clients and
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
  const [authPort, apiPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${authPort}`;
  const apiUrl = `http://localhost:${apiPort}`;
  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    AUTH_ISSUER: issuer,
    RESOURCE_API_URL: apiUrl,
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...options.env,
  };
  const env: Record<ServiceName, Record<string, string>> = {
    'auth-server': {
      ...common,
      PORT: String(authPort),
      AUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      AUTH_KEY_ENCRYPTION_SECRET: randomBytes(32).toString('base64url'),
    },
    'resource-api': { ...common, PORT: String(apiPort) },
  };
  const start = (name: ServiceName): Promise<ServiceProcess> =>
    startServiceProcess(name, name === 'auth-server' ? issuer : apiUrl, env[name], { nodeArgs: options.nodeArgs });
  const system: ProductionSystem = {
    auth: await start('auth-server'),
    api: undefined as unknown as ServiceProcess,
    env,
    async restart(name) {
      const service = await start(name);
      if (name === 'auth-server') system.auth = service;
      else system.api = service;
      return service;
    },
    async stop() {
      await Promise.all([system.api?.stop(), system.auth.stop()]);
    },
  };
  try {
    system.api = await start('resource-api');
  } catch (error) {
    await system.auth.stop();
    throw error;
  }
  return system;
}
