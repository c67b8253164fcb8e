/**
 * A developer portal on an ephemeral port over a test database of its own, with every schema it
 * writes to migrated, and its log lines kept for the test to read. Test support only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { migrateAuth } from '@payapi/auth-server';
import { migrateEvents } from '@payapi/events';
import { migrateLedger } from '@payapi/ledger';
import { listenOn } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { migrateResourceApi } from '@payapi/resource-api';
import type { Knex } from 'knex';
import { createDeveloperPortal } from '../app.ts';
import type { DeveloperPortalOptions } from '../app.ts';
import type { DeveloperPortalConfig } from '../config.ts';
import { loadDeveloperPortalConfig } from '../config.ts';
import { migratePortal } from '../migrations.ts';
import { PortalAgent } from './portal-agent.ts';

/** A running test portal. */
export interface TestPortal {
  url: string;
  db: Knex;
  config: DeveloperPortalConfig;
  /** Every log line written so far. */
  logLines: string[];
  /** A new browser with no cookies. */
  agent(): PortalAgent;
  /** A new developer, signed up (and so signed in) through the pages. */
  signUp(email?: string, password?: string): Promise<{ agent: PortalAgent; email: string; password: string }>;
  close(): Promise<void>;
}

let developers = 0;

/**
 * Sign-ups per network in tests: every test developer signs up from 127.0.0.1, so the limit of
 * production would stop a test file after ten; the sign-up throttle's own test passes a small one.
 */
const TEST_SIGN_UP_LIMIT = { attemptsMax: 10_000, windowSeconds: 60 };

/**
 * @param env extra environment for `loadDeveloperPortalConfig` (e.g. `PAYAPI_ENVIRONMENT: 'live'`)
 * @param database an already migrated test database to share; default a new one, dropped on close
 * @param options `signUpLimit` per network (default 10,000 a minute, see `SIGN_UPS_PER_NETWORK` for production's)
 */
export async function startTestPortal(
  env: Record<string, string> = {},
  database?: TestDatabase,
  options: Pick<DeveloperPortalOptions, 'signUpLimit'> = {},
): Promise<TestPortal> {
  const owned = database === undefined;
  const testDatabase = database ?? await createTestDatabase();
  const { db } = testDatabase;
  if (owned) {
    await migrateLedger(db);
    await migrateEvents(db);
    await migrateAuth(db);
    await migrateResourceApi(db);
    await migratePortal(db);
  }
  const config = loadDeveloperPortalConfig({
    DEVELOPER_PORTAL_URL: 'http://127.0.0.1:4003',
    DEVELOPER_PORTAL_SESSION_SECRET: 'test-portal-session-secret-0123456789abcdef',
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'info',
    ...env,
  });
  const logLines: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const portal = createDeveloperPortal(config, db, { logDestination, signUpLimit: options.signUpLimit ?? TEST_SIGN_UP_LIMIT });
  const server = await listenOn(createServer(portal.handler), 0, 'developer portal');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = (): PortalAgent => new PortalAgent(url);
  return {
    url, db, config, logLines, agent,
    async signUp(email = `dev${++developers}-${process.pid}@example.com`, password = 'correct horse battery staple') {
      const browser = agent();
      const answer = await browser.submit('/signup', { email, password });
      if (answer.status !== 303 || answer.location !== '/apps') throw new Error(`sign-up failed: ${answer.status} ${answer.html.slice(0, 300)}`);
      return { agent: browser, email, password };
    },
    async close() {
      await portal.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (owned) await testDatabase.drop();
    },
  };
}
