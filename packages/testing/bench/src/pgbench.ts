import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libpqEnvironment, postgresClientCandidates } from '@payapi/platform';
import { latencyPercentiles } from './percentiles.ts';
import type { LatencyPercentiles } from './percentiles.ts';
import { parsePgbenchLog, parsePgbenchTps } from './pgbench-log.ts';

const run = promisify(execFile);

/** Input of {@link runPgbench}. */
export interface PgbenchOptions {
  /** The `pgbench` binary ({@link findPgbench}). */
  binary: string;
  /** A database of its own (initialised here: pgbench's tables are dropped and made again). */
  databaseUrl: string;
  /** `-c`; also the scale factor, so clients rarely meet on the same branch row. */
  clients: number;
  /** `-j`. */
  threads: number;
  seconds: number;
  warmupSeconds: number;
  /** Called right before the measured run starts (after init and warm-up). */
  onMeasuredStart?: () => void;
}

/** Figures of one pgbench run (built-in `tpcb-like`). */
export interface PgbenchFigures extends LatencyPercentiles {
  /** The exact command line of the measured run (connection details are in the environment, not here). */
  command: string;
  /** Transactions completed (from the per-transaction logs). */
  transactions: number;
  /** pgbench's `tps` (without initial connection time). */
  perSecond: number;
  /** Transactions pgbench logged as failed or skipped. */
  failed: number;
  /** How long `pgbench -i` took, seconds. */
  initSeconds: number;
  scale: number;
}

/**
 * pgbench's path: `$PGBENCH`, else `pgbench` on `PATH`, else Debian's `/usr/lib/postgresql/<v>/bin`.
 *
 * @returns undefined when there is none (the reference is then reported as not measured)
 */
export function findPgbench(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return postgresClientCandidates('pgbench', 'PGBENCH', env)[0];
}

/** `pgbench --version`, e.g. `pgbench (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`. */
export async function pgbenchVersion(binary: string): Promise<string> {
  return (await run(binary, ['--version'])).stdout.trim();
}

/**
 * Initialises pgbench's tables at scale `clients` (server-side data generation, vacuum, primary
 * keys), runs a warm-up, then the measured `pgbench -b tpcb-like -c C -j J -T S -n -l` and reads
 * the latencies from its per-transaction logs.
 *
 * @throws {Error} with pgbench's stderr when it fails
 */
export async function runPgbench(options: PgbenchOptions): Promise<PgbenchFigures> {
  const env = libpqEnvironment(options.databaseUrl, 'payapi-bench-pgbench');
  const pgbench = async (args: string[]): Promise<string> => {
    try {
      return (await run(options.binary, args, { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`pgbench ${args.join(' ')} failed: ${(stderr ?? String(error)).trim().slice(-2000)}`);
    }
  };
  const scale = options.clients;
  const initStarted = performance.now();
  await pgbench(['-i', '-q', '-s', String(scale), '-I', 'dtGvp']);
  const initSeconds = (performance.now() - initStarted) / 1000;
  const load = ['-b', 'tpcb-like', '-c', String(options.clients), '-j', String(options.threads), '-n'];
  await pgbench([...load, '-T', String(options.warmupSeconds)]);
  const logDir = await mkdtemp(join(tmpdir(), 'payapi-pgbench-'));
  try {
    const measured = [...load, '-T', String(options.seconds), '-l', '--log-prefix', join(logDir, 'tx')];
    options.onMeasuredStart?.();
    const output = await pgbench(measured);
    const logs = await Promise.all((await readdir(logDir)).map((file) => readFile(join(logDir, file), 'utf8')));
    const summary = parsePgbenchLog(logs.join('\n'));
    const tps = parsePgbenchTps(output);
    return {
      command: `pgbench ${measured.filter((arg) => !arg.startsWith(logDir)).join(' ').replace('--log-prefix', '--log-prefix <tmp>/tx')}`,
      transactions: summary.latenciesMs.length,
      perSecond: Math.round((tps ?? summary.latenciesMs.length / options.seconds) * 10) / 10,
      failed: summary.failed,
      initSeconds: Math.round(initSeconds * 10) / 10,
      scale,
      ...latencyPercentiles(summary.latenciesMs),
    };
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}
