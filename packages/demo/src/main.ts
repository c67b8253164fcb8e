/**
 * `pnpm start`: the whole system in demo mode, in one process. Today that is the database: the
 * embedded PostgreSQL (unless DATABASE_URL is set) with every package's migrations applied. The
 * authorization server, resource API and partner demo join here as they are built.
 * Ctrl-C (SIGINT) or SIGTERM stops everything, PostgreSQL included.
 */
import { migrateAuth } from '@payapi/auth-server';
import { migrateLedger } from '@payapi/ledger';
import {
  ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, redactDatabaseUrl, resolveDatabaseUrl, startEmbeddedPostgres,
} from '@payapi/platform';
import type { RunningPostgres } from '@payapi/platform';

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
  const applied = [...(await migrateLedger(db)), ...(await migrateAuth(db))];
  console.log([
    '',
    `database   ${redactDatabaseUrl(url)}`,
    `migrations ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`,
    '',
    'The authorization server (:4000), resource API (:4001) and partner demo (:4002) are not built yet;',
    'this process keeps the database running for development and the operator CLI (pnpm cli).',
    'ready. Press Ctrl-C to stop.',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping');
  await db.destroy();
  await embedded?.stop();
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
