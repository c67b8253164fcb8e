/**
 * The operator CLI: `pnpm cli <command> [options]`. Each command prints one JSON object on stdout
 * (`events:list`: one per line, JSON lines) and exits 0, or prints a message on stderr and exits
 * non-zero (2 for usage errors). It talks to
 * DATABASE_URL; outside production, when that is unset, to the embedded database of a running
 * `pnpm start`. Commands: see COMMANDS below and docs/operations.md, "Commands".
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import {
  ClientInputError, PUBLIC_RESOURCE_SERVER_REFUSED, UserError, approveClient, createClient, createInitialAccessToken, createSigningKey, createUser,
  deriveSigningKeySealingKey, findUserByUsername, loadAuthServerConfig, migrateAuth,
} from '@payapi/auth-server';
import { migratePortal } from '@payapi/developer-portal';
import { isEventType, listAuditEvents, migrateEvents, toWireEvent } from '@payapi/events';
import { LedgerError, auditLedger, migrateLedger, openAccount, parseAmount } from '@payapi/ledger';
import { ConfigError, DEMO_POSTGRES, createDatabase, describeConnectionError, readPayapiEnvironment, readSecurityProfile, resolveDatabaseUrl } from '@payapi/platform';
import { migrateResourceApi } from '@payapi/resource-api';
import type { Knex } from 'knex';

/** A usage mistake: exit 2 with the message. */
class UsageError extends Error {}

interface CommandResult {
  output: unknown;
  exitCode: number;
  /** `output` is a list printed as JSON lines (one value per line, nothing for none). */
  jsonLines?: boolean;
}

type Command = (db: Knex, args: string[]) => Promise<CommandResult>;

function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The parsed JSON of `--jwks-file` (at most 64 KiB); its keys are checked by `createClient`. */
function readJwksFile(path: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > JWKS_FILE_BYTES_MAX) throw new UsageError(`--jwks-file ${path} is larger than 64 KiB`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--jwks-file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--jwks-file ${path} is not JSON`);
  }
}
const JWKS_FILE_BYTES_MAX = 64 * 1024;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

const ok = (output: unknown): CommandResult => ({ output, exitCode: 0 });

/** RFC 3339 with a time zone (`Z` or an offset), as `--since` takes it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
/** `events:list --limit`: default and largest. */
const EVENTS_LISTED_DEFAULT = 10_000;
const EVENTS_LISTED_MAX = 100_000;

function integerOption(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^[1-9][0-9]*$/.test(value) || number > max) throw new UsageError(`${flag} must be an integer from 1 to ${max}`);
  return number;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  /** Applies every package's pending migrations, keyed by schema. */
  'db:migrate': async (db, args) => {
    options(args, {});
    return ok({ migrated: { ledger: await migrateLedger(db), events: await migrateEvents(db), auth: await migrateAuth(db), api: await migrateResourceApi(db), portal: await migratePortal(db) } });
  },

  /** Checks the books from the tables; exit 3 when anything is wrong. */
  'ledger:audit': async (db, args) => {
    options(args, {});
    const audit = await auditLedger(db);
    const clean = audit.unbalancedTransfers.length === 0 && audit.wrongBalances.length === 0 && audit.negativeBalances.length === 0;
    return { output: { ok: clean, ...audit }, exitCode: clean ? 0 : 3 };
  },

  /**
   * Registers an OAuth client, approved at once; the secret (`sk_sandbox_…` or `sk_live_…` after
   * `PAYAPI_ENVIRONMENT`) is printed this once and only its hash is kept. `--public` with
   * `--resource-server` is a usage error (exit 2, nothing written): a client without a secret must
   * never introspect other clients' tokens (RFC 7662 §4). `--jwks-file F` (a JSON file
   * `{ "keys": [...] }` of public keys) makes a `private_key_jwt` client without a secret; with
   * `SECURITY_PROFILE=fapi2` it is required (FAPI 2.0 allows no other client authentication).
   */
  'clients:create': async (db, args) => {
    const values = options(args, {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      scope: { type: 'string' },
      public: { type: 'boolean' },
      'resource-server': { type: 'boolean' },
      'jwks-file': { type: 'string' },
    });
    if (values.public === true && values['resource-server'] === true) throw new UsageError(PUBLIC_RESOURCE_SERVER_REFUSED);
    if (values['jwks-file'] === undefined && readSecurityProfile(process.env) === 'fapi2') {
      throw new UsageError('SECURITY_PROFILE=fapi2 allows private_key_jwt clients only: give the client\'s public keys with --jwks-file');
    }
    const jwks = values['jwks-file'] === undefined ? undefined : readJwksFile(values['jwks-file']);
    return ok(await createClient(db, {
      ...(jwks !== undefined ? { jwks } : {}),
      name: required(values.name, '--name'),
      redirectUris: values['redirect-uri'] ?? [],
      ...(values.scope !== undefined ? { scope: values.scope } : {}),
      public: values.public === true,
      resourceServer: values['resource-server'] === true,
      environment: readPayapiEnvironment(process.env),
    }));
  },

  /** Approves a partner app after review (live): `{ client_id, status: "approved" }`; idempotent. */
  'clients:approve': async (db, args) => {
    const values = options(args, { 'client-id': { type: 'string' } });
    const approved = await approveClient(db, required(values['client-id'], '--client-id'));
    return ok({ client_id: approved.clientId, status: approved.status });
  },

  /** An initial access token for dynamic client registration (RFC 7591) by a third-party developer. */
  'clients:initial-access-token': async (db, args) => {
    options(args, {});
    return ok(await createInitialAccessToken(db));
  },

  'users:create': async (db, args) => {
    const values = options(args, { username: { type: 'string' }, password: { type: 'string' } });
    const user = await createUser(db, { username: required(values.username, '--username'), password: required(values.password, '--password') });
    return ok({ sub: user.sub, username: user.username });
  },

  /** Opens a ledger account for a user; the opening balance is a real transfer from the funding account. */
  'accounts:open': async (db, args) => {
    const values = options(args, {
      username: { type: 'string' }, name: { type: 'string' }, currency: { type: 'string' },
      'opening-balance': { type: 'string' }, type: { type: 'string' },
    });
    const username = required(values.username, '--username');
    const user = await findUserByUsername(db, username);
    if (!user) throw new UsageError(`no user named "${username}"`);
    const currency = required(values.currency, '--currency');
    const type = values.type ?? 'current';
    if (type !== 'current' && type !== 'savings') throw new UsageError('--type must be current or savings');
    const account = await openAccount(db, {
      ownerSubject: user.sub,
      name: required(values.name, '--name'),
      type,
      currency,
      openingBalanceMinor: values['opening-balance'] === undefined ? 0n : parseAmount(values['opening-balance'], currency),
    });
    return ok({ id: account.id, name: account.name, currency: account.currency, type: account.type, created_at: account.createdAt });
  },

  /**
   * The operator's view of the event log (docs/operations.md, "Events"): every kept event, oldest
   * first, older than the partners' 30 days too, as JSON lines: the wire shape (docs/webhooks.md) plus
   * `client_id`, the recipient. `--since` is RFC 3339 (inclusive); `--limit` 1..100000 (10000).
   */
  'events:list': async (db, args) => {
    const values = options(args, { since: { type: 'string' }, type: { type: 'string' }, 'client-id': { type: 'string' }, limit: { type: 'string' } });
    if (values.since !== undefined && (!RFC3339.test(values.since) || Number.isNaN(Date.parse(values.since)))) {
      throw new UsageError('--since must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T00:00:00Z');
    }
    if (values.type !== undefined && !isEventType(values.type)) throw new UsageError(`--type must be a known event type, not "${values.type}"`);
    const environment = readPayapiEnvironment(process.env);
    const events = await listAuditEvents(db, {
      ...(values.since !== undefined ? { since: values.since } : {}),
      ...(values.type !== undefined ? { type: values.type } : {}),
      ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
      limit: integerOption(values.limit, '--limit', EVENTS_LISTED_DEFAULT, EVENTS_LISTED_MAX),
    });
    return { output: events.map((event) => ({ ...toWireEvent(event, environment), client_id: event.clientId })), exitCode: 0, jsonLines: true };
  },

  /** Adds a new signing key, which signs from now on; older keys stay published until their tokens expire. */
  'keys:rotate': async (db, args) => {
    options(args, {});
    const config = loadAuthServerConfig(process.env);
    return ok(await createSigningKey(db, deriveSigningKeySealingKey(config.keyEncryptionSecret)));
  },
};

const USAGE = `usage: pnpm cli <command> [options]\ncommands: ${Object.keys(COMMANDS).join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || !Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`${name === undefined ? 'no command given' : `unknown command "${name}"`}\n${USAGE}\n`);
    return 2;
  }
  const command = COMMANDS[name] as Command;
  const source = resolveDatabaseUrl(process.env);
  const url = source.kind === 'url' ? source.url : DEMO_POSTGRES.url;
  const db = createDatabase({ url, poolMax: 2, applicationName: 'payapi-cli' });
  try {
    const { output, exitCode, jsonLines } = await command(db, args);
    const lines = jsonLines ? (output as unknown[]) : [output];
    process.stdout.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
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
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    const known = error instanceof ConfigError || error instanceof LedgerError || error instanceof UserError || error instanceof ClientInputError;
    const prefix = error instanceof ConfigError ? 'configuration error: ' : '';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${prefix}${known ? '' : 'failed: '}${message}${error instanceof LedgerError || error instanceof UserError ? ` (${error.code})` : ''}\n`);
    process.exit(1);
  },
);
