import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/** The machine a run measured on. */
export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  /** `pgbench --version`, or null when pgbench was not found. */
  pgbench: string | null;
  autocannon: string;
  /** 1-minute load average at the start (other work on a shared machine shows here). */
  loadAverageAtStart: number | null;
}

/**
 * Describes this machine.
 *
 * @param postgres the server's `SHOW server_version`
 * @param pgbench `pgbench --version` or null
 */
export function describeMachine(postgres: string, pgbench: string | null): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    pgbench,
    autocannon: packageVersion('autocannon'),
    loadAverageAtStart: loadAverage(),
  };
}

function packageVersion(name: string): string {
  try {
    const path = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function loadAverage(): number | null {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

/** One line: `2 cores (AMD EPYC …), 23.5 GiB, Node v24…, PostgreSQL 15.20, pgbench 15.20`. */
export function machineLine(machine: Machine): string {
  return `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, `
    + `${machine.pgbench ?? 'no pgbench'}, autocannon ${machine.autocannon}, load average ${machine.loadAverageAtStart ?? '?'} at start`;
}
