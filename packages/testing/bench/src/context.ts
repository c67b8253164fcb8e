import type { BenchArgs, ScenarioName } from './args.ts';
import { readPeakRssBytes, resetPeakRss } from './child-process.ts';
import type { BenchServer } from './database.ts';
import { runLoad } from './load.ts';
import type { LoadOptions } from './load.ts';
import type { StatementCounter } from './statements.ts';
import type { Prepared } from './prepare.ts';
import { startCpuSampler } from './cpu-usage.ts';
import type { CpuGroups } from './cpu-usage.ts';
import { cpuPerRequest, monotonicUs, toMb } from './row.ts';
import type { Comparison, Row } from './row.ts';

/** Load connections of every HTTP scenario (and pgbench clients). */
export const CONNECTIONS = 32;

/** What every scenario gets. */
export interface BenchContext {
  args: BenchArgs;
  prepared: Prepared;
  server: BenchServer;
  /** `node` arguments for reference processes (`--cpu-prof…` with `--profile`). */
  referenceNodeArgs: string[];
  /** Rows measured so far in this run (a scenario may reuse another's row as its reference). */
  rows: Row[];
  comparisons: Comparison[];
  /** Statement counts from pg_stat_statements, when the server has it loaded. */
  statements?: StatementCounter;
  /** Cores of this machine (to turn machine-wide CPU time into cores). */
  machineCores: number;
  /** Progress line on stderr (the table goes to stdout). */
  log(line: string): void;
}

/** The processes whose peak RSS a row reports, by name. */
export type Watched = Record<string, number>;

/** The two services of the run, by name. */
export function servicePids(context: BenchContext): Watched {
  return { 'auth-server': context.prepared.system.auth.pid, 'resource-api': context.prepared.system.api.pid };
}

/**
 * Runs `load` once as a warm-up (figures dropped, unexpected answers kept), resets the peak RSS of
 * `watched`, runs it for the measured seconds and makes the row.
 */
export async function measureLoad(
  context: BenchContext,
  row: Pick<Row, 'id' | 'scenario' | 'role' | 'label'> & { note?: string },
  load: Omit<LoadOptions, 'seconds' | 'connections'> & { connections?: number },
  watched: Watched,
): Promise<Row> {
  const connections = load.connections ?? CONNECTIONS;
  context.log(`${row.id}: warm-up ${context.args.warmupSeconds} s, then ${context.args.seconds} s at ${connections} connections`);
  const warmup = await runLoad({ ...load, connections, seconds: context.args.warmupSeconds });
  for (const pid of Object.values(watched)) resetPeakRss(pid);
  const sampler = startCpuSampler(cpuGroups(context, watched), context.machineCores);
  const statements = await context.statements?.snapshot();
  const startUs = monotonicUs();
  const figures = await runLoad({ ...load, connections, seconds: context.args.seconds });
  const endUs = monotonicUs();
  const cores = sampler.stop();
  const sql = statements ? await context.statements?.perRequest(statements, figures.requests) : undefined;
  const unexpected = { ...figures.tally.unexpected };
  for (const [key, count] of Object.entries(warmup.tally.unexpected)) unexpected[`warm-up ${key}`] = count;
  const made: Row = {
    ...row,
    connections,
    seconds: figures.seconds,
    requests: figures.requests,
    perSecond: figures.perSecond,
    unit: 'requests',
    p50Ms: figures.p50Ms,
    p99Ms: figures.p99Ms,
    p999Ms: figures.p999Ms,
    byStatus: figures.tally.byStatus,
    unexpected,
    unexpectedCount: figures.tally.unexpectedCount + warmup.tally.unexpectedCount,
    peakRssMb: peakRss(watched),
    coresUsed: cores,
    cpuMsPerRequest: cpuPerRequest(cores, figures.perSecond),
    window: { startUs, endUs, pids: watched },
    ...(sql ? { sqlPerRequest: sql } : {}),
  };
  context.log(`${row.id}: ${made.perSecond}/s, p50 ${made.p50Ms} ms, p99 ${made.p99Ms} ms, unexpected ${made.unexpectedCount}; cores ${JSON.stringify(cores)}`);
  context.rows.push(made);
  return made;
}

/**
 * The CPU accounting groups of a row: the watched processes, this process (the load generator)
 * and the PostgreSQL work of the bench's databases.
 */
export function cpuGroups(context: BenchContext, watched: Watched): CpuGroups {
  return { pids: { ...watched, 'load generator': process.pid }, postgresDatabases: context.server.scratchNames() };
}

/** Peak RSS in MB of each watched process now. */
export function peakRss(watched: Watched): Record<string, number | null> {
  return Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, toMb(readPeakRssBytes(pid))]));
}

/** `Authorization: Basic` for client_secret_basic (RFC 6749 §2.3.1: form-encoded id and secret). */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** A scenario: runs its measured row and its reference, and records the comparison. */
export type Scenario = (context: BenchContext) => Promise<void>;

/** A scenario's name and its runner. */
export type ScenarioTable = Record<ScenarioName, Scenario>;
