import type { ScenarioName } from './args.ts';
import type { LatencyPercentiles } from './percentiles.ts';

/** One measured line of the table: the system under test or a reference, under one load. */
export interface Row extends LatencyPercentiles {
  /** Unique in a run, e.g. `balance` or `balance:reference`. */
  id: string;
  scenario: ScenarioName;
  /** `measured`: our services; `reference`: what they are compared with. */
  role: 'measured' | 'reference';
  /** What was sent to what, in a few words. */
  label: string;
  /** Parallel callers (HTTP connections, pgbench clients or flow callers). */
  connections: number;
  /** Measured duration, seconds. */
  seconds: number;
  /** Completed requests (transactions, flows). */
  requests: number;
  /** Completed per second. */
  perSecond: number;
  /** `"unit"` of `perSecond` and `requests`: `requests`, `transactions` or `flows`. */
  unit: 'requests' | 'transactions' | 'flows';
  /** Answers by HTTP status (for pgbench: `ok` and `failed`). */
  byStatus: Record<string, number>;
  /** Unexpected answers by `status`, `status:code` or `transport:…`, warm-up included. */
  unexpected: Record<string, number>;
  unexpectedCount: number;
  /** Peak RSS of each process during this row (MB = 2^20 bytes), `null` where it could not be read. */
  peakRssMb: Record<string, number | null>;
  /**
   * CPU cores each process group kept busy during the measured seconds (see cpu-usage.ts):
   * the services, `postgres` (backends of the bench's databases and the server's own processes),
   * `load generator` (this process), `reference`, `machine` (everything) and `other` (the rest).
   */
  coresUsed: Record<string, number>;
  /** CPU milliseconds per completed request of each process group (cores used × 1000 / per second). */
  cpuMsPerRequest: Record<string, number>;
  /**
   * SQL statements per request in the bench's database during the measured seconds (pg_stat_statements,
   * utility statements such as BEGIN and COMMIT included), and the most frequent ones; absent
   * where the server does not have pg_stat_statements loaded.
   */
  sqlPerRequest?: { total: number; top: Array<{ perRequest: number; query: string }> };
  /** The measured seconds on the monotonic clock, microseconds, and the pid of each watched process (to cut CPU profiles). */
  window?: { startUs: number; endUs: number; pids: Record<string, number> };
  /** With `--profile`: the busiest packages and functions of each watched process during the measured seconds. */
  profile?: Record<string, { busyMs: number; packages: string[]; functions: string[] }>;
  /** Anything the figures need to be read right. */
  note?: string;
}

/** Now on the monotonic clock (as V8's CPU profiles count), microseconds. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A measured row against its reference row. */
export interface Comparison {
  scenario: ScenarioName;
  measuredId: string;
  referenceId: string | null;
  /** measured per second / reference per second (0.01), null without a reference. */
  ratio: number | null;
  /** The ratio the issue asks for, null where it asks only for a report. */
  target: number | null;
  /** ratio >= target; null when there is no target or no reference. */
  met: boolean | null;
  /** What bounds the measured figure (from profiling; see bounds.ts). */
  bound: string;
}

/**
 * Compares two per-second figures.
 *
 * @param target the ratio to reach, or null to report only
 * @returns ratio rounded to 0.01 (null when the reference is missing or zero) and whether it is met
 */
export function compareRates(measuredPerSecond: number, referencePerSecond: number | null, target: number | null): { ratio: number | null; met: boolean | null } {
  if (referencePerSecond === null || !(referencePerSecond > 0)) return { ratio: null, met: null };
  const exact = measuredPerSecond / referencePerSecond;
  return { ratio: Math.round(exact * 100) / 100, met: target === null ? null : exact >= target };
}

/**
 * CPU milliseconds per request of each group, from cores used and requests per second (0.001);
 * `machine` and `other` are left out (they hold other people's work too).
 */
export function cpuPerRequest(coresUsed: Readonly<Record<string, number>>, perSecond: number): Record<string, number> {
  if (!(perSecond > 0)) return {};
  return Object.fromEntries(Object.entries(coresUsed)
    .filter(([name]) => name !== 'machine' && name !== 'other')
    .map(([name, cores]) => [name, Math.round((cores * 1000 / perSecond) * 1000) / 1000]));
}

/** Bytes to MB (2^20), one decimal; null stays null. */
export function toMb(bytes: number | undefined): number | null {
  return bytes === undefined ? null : Math.round((bytes / 2 ** 20) * 10) / 10;
}
