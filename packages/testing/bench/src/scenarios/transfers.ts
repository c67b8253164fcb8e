import { randomBytes } from 'node:crypto';
import { CONNECTIONS, measureLoad, servicePids } from '../context.ts';
import { startCpuSampler } from '../cpu-usage.ts';
import type { CpuSampler } from '../cpu-usage.ts';
import type { BenchContext } from '../context.ts';
import type { LoadRequest } from '../load.ts';
import { findPgbench, pgbenchVersion, runPgbench } from '../pgbench.ts';
import { compareRates, cpuPerRequest } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';

const TARGET = 0.8;
/** pgbench worker threads (`-j`): the machine's core count in the setup. */
const PGBENCH_THREADS = 2;

/** Idempotency keys of this process: a random prefix and a counter, so no two requests of a run share one. */
const KEY_PREFIX = `bench-${randomBytes(6).toString('hex')}`;
let keysIssued = 0;

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

/** Distinct-accounts transfers (the measured row of `transfers`, and the reference of `hot-account`). */
export function measureDistinctTransfers(context: BenchContext, id: string, role: Row['role']): Promise<Row> {
  return measureLoad(context, {
    id, scenario: role === 'measured' ? 'transfers' : 'hot-account', role,
    label: 'POST /v1/transfers 0.01 CNY, own source accounts per connection, random destination, distinct keys',
  }, { url: context.prepared.system.api.url, requestsFor: transferRequests(context), expected: {} }, servicePids(context));
}

/**
 * `POST /v1/transfers` between distinct accounts against `pgbench -b tpcb-like` with the same
 * client count on the same server (database of its own, scale = clients). Without pgbench the
 * reference is reported as not measured.
 */
export async function transfersScenario(context: BenchContext): Promise<void> {
  const measured = await measureDistinctTransfers(context, 'transfers', 'measured');
  const binary = findPgbench(process.env);
  let reference: Row | undefined;
  if (binary === undefined) {
    context.log('transfers:reference: pgbench not found ($PGBENCH, PATH, /usr/lib/postgresql/*/bin): not measured');
  } else {
    const version = await pgbenchVersion(binary);
    context.log(`transfers:reference: ${version}, init scale ${CONNECTIONS}, warm-up ${context.args.warmupSeconds} s, then ${context.args.seconds} s`);
    const databaseUrl = await context.server.createScratch('pgbench');
    const groups = { pids: {}, postgresDatabases: context.server.scratchNames(), commands: { pgbench: /^\S*pgbench\s/ } };
    let sampler: CpuSampler | undefined;
    const figures = await runPgbench({
      binary, databaseUrl, clients: CONNECTIONS, threads: PGBENCH_THREADS,
      seconds: context.args.seconds, warmupSeconds: context.args.warmupSeconds,
      onMeasuredStart: () => { sampler = startCpuSampler(groups, context.machineCores); },
    });
    const cores = sampler?.stop() ?? {};
    reference = {
      id: 'transfers:reference', scenario: 'transfers', role: 'reference',
      label: `pgbench -b tpcb-like -c ${CONNECTIONS} -j ${PGBENCH_THREADS}, scale ${figures.scale}`,
      connections: CONNECTIONS, seconds: context.args.seconds, requests: figures.transactions, perSecond: figures.perSecond,
      unit: 'transactions', p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, p999Ms: figures.p999Ms,
      byStatus: { ok: figures.transactions, ...(figures.failed > 0 ? { failed: figures.failed } : {}) },
      unexpected: {}, unexpectedCount: 0, peakRssMb: {}, coresUsed: cores, cpuMsPerRequest: cpuPerRequest(cores, figures.perSecond),
      note: `${figures.command}; ${version}; init (server-side generation) took ${figures.initSeconds} s; latencies from the per-transaction log; tps without connection time`,
    };
    context.log(`transfers:reference: ${reference.perSecond}/s, p50 ${reference.p50Ms} ms, p99 ${reference.p99Ms} ms`);
    context.rows.push(reference);
  }
  context.comparisons.push({
    scenario: 'transfers', measuredId: measured.id, referenceId: reference?.id ?? null,
    ...compareRates(measured.perSecond, reference?.perSecond ?? null, TARGET), target: TARGET, bound: BOUNDS.transfers,
  });
}
