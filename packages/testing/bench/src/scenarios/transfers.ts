import { randomBytes } from 'node:crypto';
import { refreshTokens } from '../prepare.ts';
import { CONNECTIONS, measureLoad } from '../context.ts';
import { startCpuSampler } from '../cpu-usage.ts';
import type { CpuSampler } from '../cpu-usage.ts';
import type { BenchContext } from '../context.ts';
import { startFreshApi } from '../fresh-api.ts';
import type { LoadRequest } from '../load.ts';
import { findPgbench, pgbenchVersion, runPgbench } from '../pgbench.ts';
import type { PgbenchFigures, PgbenchWorkload } from '../pgbench.ts';
import {
  POST_TRANSFER_LOOKUP_SCHEMA, countBookedTransfers, createPostTransferLookups, dropPostTransferLookups, postTransferLookupRows, postTransferScript,
} from '../pgbench-post-transfer.ts';
import { compareRates, cpuPerRequest } from '../row.ts';
import type { Row } from '../row.ts';
import type { StatementSnapshot } from '../statements.ts';
import { BOUNDS } from '../bounds.ts';

/** The target against pgbench tpcb-like (batched booking is what would make it reachable). */
const TPCB_TARGET = 1.0;
/** The target against pgbench running our own booking statement (our HTTP/Node layer's cost). */
const POST_TRANSFER_TARGET = 0.8;
/** pgbench worker threads (`-j`): the machine's core count in the setup. */
const PGBENCH_THREADS = 2;
/**
 * The environment of the fresh API process of the `…:unbatched` rows: every transfer booked alone,
 * as before batched booking (`TRANSFER_BATCH_MAX`, 1..256, default 64; an API without batching
 * ignores it, and then both rows measure the same thing).
 */
export const UNBATCHED_ENV: Readonly<Record<string, string>> = { TRANSFER_BATCH_MAX: '1' };

/** Idempotency keys of this process: a random prefix and a counter, so no two requests of a run share one. */
const KEY_PREFIX = `bench-${randomBytes(6).toString('hex')}`;
let keysIssued = 0;

/** The resource API a transfers row is sent to: the system's own, or a fresh process. */
interface TargetApi {
  url: string;
  pid: number;
}

/**
 * The request generator of `POST /v1/transfers` for one connection: 0.01 CNY from the
 * connection's own source accounts (in turn), or from `hotSourceId`, to a random other account
 * of the 10,000, each with its own `Idempotency-Key`.
 */
export function transferRequests(context: BenchContext, hotSourceId?: string): (connection: number) => () => LoadRequest {
  const { prepared } = context;
  return (connection) => {
    const user = hotSourceId === undefined ? prepared.users[connection % prepared.users.length] : prepared.users[0];
    if (!user) throw new Error('no token users');
    const sources = hotSourceId === undefined ? user.seeded.accounts.map((account) => account.id) : [hotSourceId];
    let sent = 0;
    return () => {
      const source = sources[sent % sources.length] as string;
      let destination = source;
      while (destination === source) destination = prepared.accountIds[Math.floor(Math.random() * prepared.accountIds.length)] as string;
      sent += 1;
      return {
        method: 'POST',
        path: '/v1/transfers',
        headers: {
          authorization: `Bearer ${user.tokens.accessToken}`,
          'content-type': 'application/json',
          'idempotency-key': `${KEY_PREFIX}-${(keysIssued += 1)}`,
        },
        body: JSON.stringify({ source_account_id: source, destination_account_id: destination, amount: '0.01', currency: 'CNY' }),
      };
    };
  };
}

/**
 * Distinct-accounts transfers (the measured row of `transfers`, the reference of `hot-account`,
 * and `transfers:unbatched`) against `api`, the system's own by default.
 */
export function measureDistinctTransfers(
  context: BenchContext,
  row: Pick<Row, 'id' | 'scenario' | 'role'> & { label?: string },
  api: TargetApi = context.prepared.system.api,
): Promise<Row> {
  return measureLoad(context, {
    ...row, label: row.label ?? 'POST /v1/transfers 0.01 CNY, own source accounts per connection, random destination, distinct keys',
  }, { url: api.url, requestsFor: transferRequests(context), expected: {} },
  { 'auth-server': context.prepared.system.auth.pid, 'resource-api': api.pid });
}

/**
 * Runs `measure` against a fresh resource API process with {@link UNBATCHED_ENV} (started beside
 * the system, stopped after).
 */
export async function withUnbatchedApi<T>(context: BenchContext, measure: (api: TargetApi) => Promise<T>): Promise<T> {
  const api = await startFreshApi(context, UNBATCHED_ENV);
  try {
    return await measure(api);
  } finally {
    await api.stop();
  }
}

/**
 * `POST /v1/transfers` between distinct accounts, in the same run as three references:
 * `pgbench -b tpcb-like` with the same client count on the same server (database of its own, scale
 * = clients; target 1.0), pgbench running our own booking statement `api.post_transfer` over the
 * bench's data (target 0.8: what is left is the cost of our HTTP/Node layer), and the same load on
 * a fresh API process that books every transfer alone (`TRANSFER_BATCH_MAX=1`; report, with both
 * p99 latencies in its note). Without pgbench the two pgbench references are reported as not
 * measured.
 */
export async function transfersScenario(context: BenchContext): Promise<void> {
  const measured = await measureDistinctTransfers(context, { id: 'transfers', scenario: 'transfers', role: 'measured' });
  const compare = (referenceId: string | null, referencePerSecond: number | null, target: number | null): void => {
    context.comparisons.push({
      scenario: 'transfers', measuredId: measured.id, referenceId,
      ...compareRates(measured.perSecond, referencePerSecond, target), target, bound: BOUNDS.transfers,
    });
  };
  const binary = findPgbench(process.env);
  if (binary === undefined) {
    context.log('transfers: pgbench not found ($PGBENCH, PATH, /usr/lib/postgresql/*/bin): its references are not measured');
    compare(null, null, TPCB_TARGET);
    compare(null, null, POST_TRANSFER_TARGET);
  } else {
    const version = await pgbenchVersion(binary);
    const tpcb = await measureTpcbLike(context, binary, version);
    compare(tpcb.id, tpcb.perSecond, TPCB_TARGET);
    const ours = await measurePostTransferScript(context, binary, version);
    compare(ours.id, ours.perSecond, POST_TRANSFER_TARGET);
  }
  const unbatched = await withUnbatchedApi(context, (api) => measureDistinctTransfers(context, {
    id: 'transfers:unbatched', scenario: 'transfers', role: 'reference',
    label: 'the same on a fresh API process with TRANSFER_BATCH_MAX=1: every transfer booked alone',
  }, api));
  unbatched.note = `p99: ${measured.p99Ms} ms (transfers) against ${unbatched.p99Ms} ms unbatched (the issue: batched p99 not above unbatched)`;
  context.log(`transfers:unbatched: ${unbatched.note}`);
  compare(unbatched.id, unbatched.perSecond, null);
}

/** `pgbench -b tpcb-like` on a database of its own, scale = clients (so clients rarely meet on the same branch row): `transfers:reference`. */
async function measureTpcbLike(context: BenchContext, binary: string, version: string): Promise<Row> {
  context.log(`transfers:reference: ${version}, tpcb-like, init scale ${CONNECTIONS}, warm-up ${context.args.warmupSeconds} s, then ${context.args.seconds} s`);
  const { row, figures } = await measurePgbench(context, binary, {
    id: 'transfers:reference', label: `pgbench -b tpcb-like -c ${CONNECTIONS} -j ${PGBENCH_THREADS}, scale ${CONNECTIONS}`,
  }, await context.server.createScratch('pgbench'), { kind: 'tpcb-like', scale: CONNECTIONS });
  row.note = `${figures.command}; ${version}; init (server-side generation) took ${figures.initSeconds} s; latencies from the per-transaction log; tps without connection time`;
  context.rows.push(row);
  return row;
}

/**
 * pgbench running `api.post_transfer` as the API calls it (postTransferScript), over the bench's
 * own database and data, with each client's user's current token: `transfers:post_transfer`.
 * Every transaction must have booked a transfer: pgbench failures and transactions that booked
 * nothing (a refusal is an answer, not an error, to pgbench) count as unexpected.
 */
async function measurePostTransferScript(context: BenchContext, binary: string, version: string): Promise<Row> {
  const { prepared } = context;
  // Fresh tokens: the script binds each user's jti for the whole row, and a token lives 300 s.
  await refreshTokens(prepared);
  const lookups = postTransferLookupRows(
    prepared.users.map((user) => ({ accessToken: user.tokens.accessToken, accountIds: user.seeded.accounts.map((account) => account.id) })),
    prepared.accountIds);
  const script = postTransferScript({
    users: lookups.users.length, accountsPerUser: lookups.users[0]?.sourceIds.length ?? 0, accounts: lookups.accountIds.length, schema: POST_TRANSFER_LOOKUP_SCHEMA,
  });
  context.log(`transfers:post_transfer: ${version}, our booking statement over the bench's ${lookups.accountIds.length} accounts, warm-up ${context.args.warmupSeconds} s, then ${context.args.seconds} s`);
  await createPostTransferLookups(prepared.db, lookups);
  try {
    let before = 0;
    const { row, figures } = await measurePgbench(context, binary, {
      id: 'transfers:post_transfer',
      label: `post_transfer: pgbench -f (SELECT api.post_transfer(…) as the API calls it) -M extended -c ${CONNECTIONS} -j ${PGBENCH_THREADS}, bench's accounts`,
    }, prepared.databaseUrl, { kind: 'script', name: 'post-transfer.sql', text: script, protocol: 'extended' }, {
      countStatements: true,
      beforeMeasured: async () => { before = await countBookedTransfers(prepared.db); },
    });
    const booked = (await countBookedTransfers(prepared.db)) - before;
    const unexpected: Record<string, number> = {};
    if (figures.failed > 0) unexpected['pgbench failed'] = figures.failed;
    if (booked < figures.transactions) unexpected['not booked'] = figures.transactions - booked;
    if (booked > figures.transactions) unexpected['booked but not logged'] = booked - figures.transactions;
    row.unexpected = unexpected;
    row.unexpectedCount = Object.values(unexpected).reduce((sum, count) => sum + count, 0);
    row.note = `${figures.command}; ${version}; the script: user client_id % ${lookups.users.length} with its current access token, `
      + `one of its accounts at random, a random other destination, new ids and idempotency key per transaction (gen_random_uuid()); `
      + `it adds two primary-key lookups per transaction (${POST_TRANSFER_LOOKUP_SCHEMA}.token_users, .accounts) that the API does not make; `
      + `${booked} transfers booked in ledger.transfers during the measured run for ${figures.transactions} transactions; latencies from the per-transaction log`;
    context.log(`transfers:post_transfer: ${booked} transfers booked for ${figures.transactions} transactions, ${figures.failed} failed`);
    context.rows.push(row);
    return row;
  } finally {
    await dropPostTransferLookups(prepared.db);
  }
}

/**
 * One pgbench row: warm-up and measured run of `workload` with {@link CONNECTIONS} clients, the CPU
 * of PostgreSQL (the bench's databases) and pgbench sampled during the measured seconds. The row is
 * returned without a note and not yet recorded.
 *
 * @param options.beforeMeasured awaited after the warm-up, before the sampler starts
 * @param options.countStatements count SQL statements per transaction (pg_stat_statements, where
 *   loaded): only for a run on the application database, the one the counter watches
 */
async function measurePgbench(
  context: BenchContext,
  binary: string,
  row: { id: string; label: string },
  databaseUrl: string,
  workload: PgbenchWorkload,
  options: { beforeMeasured?: () => Promise<void>; countStatements?: boolean } = {},
): Promise<{ row: Row; figures: PgbenchFigures }> {
  const groups = { pids: {}, postgresDatabases: context.server.scratchNames(), commands: { pgbench: /^\S*pgbench\s/ } };
  let sampler: CpuSampler | undefined;
  let statements: StatementSnapshot | undefined;
  const figures = await runPgbench({
    binary, databaseUrl, workload, clients: CONNECTIONS, threads: PGBENCH_THREADS,
    seconds: context.args.seconds, warmupSeconds: context.args.warmupSeconds,
    onMeasuredStart: async () => {
      await options.beforeMeasured?.();
      if (options.countStatements) statements = await context.statements?.snapshot();
      sampler = startCpuSampler(groups, context.machineCores);
    },
  });
  const cores = sampler?.stop() ?? {};
  const sql = statements ? await context.statements?.perRequest(statements, figures.transactions) : undefined;
  const made: Row = {
    ...row, scenario: 'transfers', role: 'reference',
    connections: CONNECTIONS, seconds: context.args.seconds, requests: figures.transactions, perSecond: figures.perSecond,
    unit: 'transactions', p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, p999Ms: figures.p999Ms,
    byStatus: { ok: figures.transactions, ...(figures.failed > 0 ? { failed: figures.failed } : {}) },
    unexpected: {}, unexpectedCount: 0, peakRssMb: {}, coresUsed: cores, cpuMsPerRequest: cpuPerRequest(cores, figures.perSecond),
    ...(sql ? { sqlPerRequest: sql } : {}),
  };
  context.log(`${row.id}: ${made.perSecond}/s, p50 ${made.p50Ms} ms, p99 ${made.p99Ms} ms`);
  return { row: made, figures };
}
