import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libpqEnvironment, postgresClientCandidates } from '@payapi/platform';
import { latencyPercentiles } from './percentiles.ts';
import type { LatencyPercentiles } from './percentiles.ts';
import { parsePgbenchLog, parsePgbenchTps } from './pgbench-log.ts';

const run = promisify(execFile);

/**
 * What pgbench runs: its built-in `tpcb-like` transaction on its own tables (initialised here at
 * `scale`: they are dropped and made again), or a custom script (`-f`) over the database as it is
 * (nothing initialised), its statements sent with `-M protocol`.
 */
export type PgbenchWorkload =
  | { kind: 'tpcb-like'; scale: number }
  | {
    kind: 'script';
    /** File name of the script, written to a temporary folder (shown in the command line). */
    name: string;
    /** The script's text. */
    text: string;
    /** `-M`: how pgbench sends the statements (node-pg sends unnamed extended-protocol statements). */
    protocol: 'simple' | 'extended' | 'prepared';
  };

/** Input of {@link runPgbench}. */
export interface PgbenchOptions {
  /** The `pgbench` binary ({@link findPgbench}). */
  binary: string;
  /** The database to run on (for `tpcb-like`, one of its own: pgbench's tables are dropped and made again). */
  databaseUrl: string;
  workload: PgbenchWorkload;
  /** `-c`. */
  clients: number;
  /** `-j`. */
  threads: number;
  seconds: number;
  warmupSeconds: number;
  /** Awaited right before the measured run starts (after init and warm-up). */
  onMeasuredStart?: () => void | Promise<void>;
}

/** Figures of one pgbench run. */
export interface PgbenchFigures extends LatencyPercentiles {
  /** The exact command line of the measured run (connection details are in the environment, not here). */
  command: string;
  /** Transactions completed (from the per-transaction logs). */
  transactions: number;
  /** pgbench's `tps` (without initial connection time). */
  perSecond: number;
  /** Transactions pgbench logged as failed or skipped. */
  failed: number;
  /** How long `pgbench -i` took, seconds; null for a script (nothing initialised). */
  initSeconds: number | null;
  /** The scale of `tpcb-like`; null for a script. */
  scale: number | null;
}

/**
 * The arguments of one load run of `workload` (without `-T` and the log): `-b tpcb-like` or
 * `-f <scriptPath> -M <protocol>`, then `-c clients -j threads -n` (no vacuum before the run).
 */
export function pgbenchLoadArgs(workload: PgbenchWorkload, scriptPath: string, clients: number, threads: number): string[] {
  const what = workload.kind === 'tpcb-like' ? ['-b', 'tpcb-like'] : ['-f', scriptPath, '-M', workload.protocol];
  return [...what, '-c', String(clients), '-j', String(threads), '-n'];
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
 * Runs `workload` (for `tpcb-like`, after initialising pgbench's tables at its scale: server-side
 * data generation, vacuum, primary keys): a warm-up, then the measured
 * `pgbench <workload> -c C -j J -n -T S -l`, and reads the latencies from its per-transaction logs.
 *
 * @throws {Error} with pgbench's stderr when it fails (a script's statement that errors included)
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
  const { workload } = options;
  const dir = await mkdtemp(join(tmpdir(), 'payapi-pgbench-'));
  try {
    let initSeconds: number | null = null;
    const scriptPath = join(dir, workload.kind === 'script' ? workload.name : 'none');
    if (workload.kind === 'tpcb-like') {
      const initStarted = performance.now();
      await pgbench(['-i', '-q', '-s', String(workload.scale), '-I', 'dtGvp']);
      initSeconds = Math.round(((performance.now() - initStarted) / 1000) * 10) / 10;
    } else {
      await writeFile(scriptPath, workload.text);
    }
    const load = pgbenchLoadArgs(workload, scriptPath, options.clients, options.threads);
    await pgbench([...load, '-T', String(options.warmupSeconds)]);
    const logDir = join(dir, 'log');
    await mkdir(logDir);
    const measured = [...load, '-T', String(options.seconds), '-l', '--log-prefix', join(logDir, 'tx')];
    await options.onMeasuredStart?.();
    const output = await pgbench(measured);
    const logs = await Promise.all((await readdir(logDir)).map((file) => readFile(join(logDir, file), 'utf8')));
    const summary = parsePgbenchLog(logs.join('\n'));
    const tps = parsePgbenchTps(output);
    return {
      command: `pgbench ${measured.join(' ').replaceAll(dir, '<tmp>')}`,
      transactions: summary.latenciesMs.length,
      perSecond: Math.round((tps ?? summary.latenciesMs.length / options.seconds) * 10) / 10,
      failed: summary.failed,
      initSeconds,
      scale: workload.kind === 'tpcb-like' ? workload.scale : null,
      ...latencyPercentiles(summary.latenciesMs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
