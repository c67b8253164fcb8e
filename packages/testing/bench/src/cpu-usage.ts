import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux x86-64). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of one process from the text of /proc/PID/stat, in clock ticks (fields
 * 14 and 15, counted after the parenthesised command name, which may itself hold spaces).
 *
 * @throws {Error} when the text is not in that format
 */
export function parseProcStatTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc/PID/stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/**
 * Busy and total time of the whole machine from the first line of /proc/stat, in clock ticks
 * (busy = total minus idle and iowait).
 *
 * @throws {Error} when the text does not start with a `cpu ` line
 */
export function parseMachineTicks(procStat: string): { busy: number; total: number } {
  const line = procStat.split('\n')[0] ?? '';
  if (!line.startsWith('cpu ')) throw new Error('not /proc/stat');
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/**
 * Whether a PostgreSQL process belongs to the benchmark: a backend of one of `databases`
 * (`postgres: user database host(port) …`) or a server-wide process (postmaster, checkpointer,
 * WAL writer…: no client's database in its title). Backends of other databases (other people's
 * tests on a shared server) are left out.
 */
export function isBenchPostgres(cmdline: string, databases: readonly string[]): boolean {
  if (!/(^|\/)postgres(\s|:|$)/.test(cmdline.split(' ')[0] ?? '') && !cmdline.startsWith('postgres:')) return false;
  const backend = /^postgres: (?:\S+: )?(\S+) (\S+) \S+\(\d+\)/.exec(cmdline) ?? /^postgres: (?:\S+: )?(\S+) (\S+) \[local\]/.exec(cmdline);
  return backend === null || databases.includes(backend[2] as string);
}

/** CPU counters at one moment. */
export interface CpuSnapshot {
  atMs: number;
  machine: { busy: number; total: number };
  /** Ticks per named group (summed over its processes). */
  groups: Record<string, Map<number, number>>;
}

/** Named groups of processes to account: fixed pids, `postgres` (found by {@link isBenchPostgres}), or by command line. */
export interface CpuGroups {
  pids: Record<string, number>;
  /** Databases whose backends count as the benchmark's PostgreSQL work; omit to leave PostgreSQL out. */
  postgresDatabases?: readonly string[];
  /** Groups of processes whose command line (arguments joined by spaces) matches, e.g. `{ pgbench: /^\S*pgbench / }`. */
  commands?: Record<string, RegExp>;
}

/** Reads the counters of `groups` and of the machine (Linux; empty groups elsewhere). */
export function snapshotCpu(groups: CpuGroups): CpuSnapshot {
  const read = (pid: number): number | undefined => {
    try {
      return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return undefined;
    }
  };
  const result: CpuSnapshot['groups'] = {};
  for (const [name, pid] of Object.entries(groups.pids)) {
    const ticks = read(pid);
    result[name] = new Map(ticks === undefined ? [] : [[pid, ticks]]);
  }
  const commands = Object.entries(groups.commands ?? {});
  if (groups.postgresDatabases || commands.length > 0) {
    if (groups.postgresDatabases) result.postgres = new Map();
    for (const [name] of commands) result[name] = new Map();
    for (const entry of safeReaddir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        const name = groups.postgresDatabases && isBenchPostgres(cmdline, groups.postgresDatabases)
          ? 'postgres'
          : commands.find(([, pattern]) => pattern.test(cmdline))?.[0];
        if (name === undefined) continue;
        const ticks = read(Number(entry));
        if (ticks !== undefined) result[name]?.set(Number(entry), ticks);
      } catch {
        // gone meanwhile
      }
    }
  }
  let machine = { busy: 0, total: 0 };
  try {
    machine = parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    // not Linux
  }
  return { atMs: performance.now(), machine, groups: result };
}

/**
 * Cores each group kept busy between two snapshots (CPU seconds per wall second, 0.01), plus
 * `machine` (all cores, everything running) and `other` (machine minus the groups: other people's
 * work on a shared machine). A process that exited between the snapshots is not counted; one that
 * started counts from zero.
 */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot, cores: number): Record<string, number> {
  const wallS = (after.atMs - before.atMs) / 1000;
  if (!(wallS > 0)) return {};
  const round = (value: number): number => Math.round(value * 100) / 100;
  const used: Record<string, number> = {};
  let accounted = 0;
  for (const [name, processes] of Object.entries(after.groups)) {
    let ticks = 0;
    for (const [pid, end] of processes) ticks += end - (before.groups[name]?.get(pid) ?? 0);
    const seconds = ticks / TICKS_PER_SECOND;
    accounted += seconds;
    used[name] = round(seconds / wallS);
  }
  const machineTicks = after.machine.total - before.machine.total;
  if (machineTicks > 0) {
    const busyShare = (after.machine.busy - before.machine.busy) / machineTicks;
    used.machine = round(busyShare * cores);
    used.other = round(Math.max(0, busyShare * cores - accounted / wallS));
  }
  return used;
}

/**
 * Merges a later snapshot into `into` (mutated): each process keeps its latest counter, and a
 * process that has exited keeps the last one seen, so short-lived processes (pgbench's
 * connections, closed before the end) still count up to the last poll.
 */
export function mergeSnapshot(into: CpuSnapshot, later: CpuSnapshot): void {
  into.atMs = later.atMs;
  into.machine = later.machine;
  for (const [name, processes] of Object.entries(later.groups)) {
    const kept = into.groups[name] ?? new Map<number, number>();
    for (const [pid, ticks] of processes) kept.set(pid, ticks);
    into.groups[name] = kept;
  }
}

/** Polls the groups' CPU counters while something runs; {@link CpuSampler.stop} gives the cores used. */
export interface CpuSampler {
  stop(): Record<string, number>;
}

/**
 * Starts polling `groups` every `intervalMs` (default 250 ms) from now.
 *
 * @param cores the machine's core count (to turn machine-wide ticks into cores)
 */
export function startCpuSampler(groups: CpuGroups, cores: number, intervalMs = 250): CpuSampler {
  const before = snapshotCpu(groups);
  const latest: CpuSnapshot = { atMs: before.atMs, machine: before.machine, groups: {} };
  mergeSnapshot(latest, before);
  const timer = setInterval(() => mergeSnapshot(latest, snapshotCpu(groups)), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      mergeSnapshot(latest, snapshotCpu(groups));
      return coresUsed(before, latest, cores);
    },
  };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
