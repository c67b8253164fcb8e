/**
 * The operator CLI: `pnpm cli <command> [options]`. Each command prints one JSON object on stdout
 * and exits 0, or prints a message on stderr and exits non-zero. It talks to DATABASE_URL; outside
 * production, when that is unset, to the embedded database of a running `pnpm start`.
 *
 * Commands so far (the contract's clients/users/accounts/keys commands arrive with the
 * authorization server):
 *   db:migrate       apply every package's pending migrations  -> { "migrated": { "ledger": [names] } }
 *   ledger:audit     check the books from the tables            -> { "ok", "accounts", "transfers", … }
 *                    (exit 3 when the audit finds anything)
 */
import { parseArgs } from 'node:util';
import { auditLedger, migrateLedger } from '@payapi/ledger';
import { ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, resolveDatabaseUrl } from '@payapi/platform';
import type { Knex } from 'knex';

type Command = (db: Knex, args: string[]) => Promise<{ output: unknown; exitCode: number }>;

const COMMANDS: Readonly<Record<string, Command>> = {
  'db:migrate': async (db, args) => {
    parseArgs({ args, options: {}, strict: true });
    return { output: { migrated: { ledger: await migrateLedger(db) } }, exitCode: 0 };
  },
  'ledger:audit': async (db, args) => {
    parseArgs({ args, options: {}, strict: true });
    const audit = await auditLedger(db);
    const ok = audit.unbalancedTransfers.length === 0 && audit.wrongBalances.length === 0 && audit.negativeBalances.length === 0;
    return { output: { ok, ...audit }, exitCode: ok ? 0 : 3 };
  },
};

const USAGE = `usage: pnpm cli <command>\ncommands: ${Object.keys(COMMANDS).join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command || !Object.hasOwn(COMMANDS, name as string)) {
    process.stderr.write(`${name === undefined ? 'no command given' : `unknown command "${name}"`}\n${USAGE}\n`);
    return 2;
  }
  const source = resolveDatabaseUrl(process.env);
  const url = source.kind === 'url' ? source.url : DEMO_POSTGRES.url;
  const db = createDatabase({ url, poolMax: 2, applicationName: 'payapi-cli' });
  try {
    const { output, exitCode } = await command(db, args);
    process.stdout.write(`${JSON.stringify(output)}\n`);
    return exitCode;
  } catch (error) {
    const unreachable = describeConnectionError(error, url);
    if (unreachable === undefined) throw error;
    const hint = source.kind === 'embedded' ? ' (DATABASE_URL is unset: is `pnpm start` running?)' : '';
    process.stderr.write(`${unreachable}${hint}\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}`
      : error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
