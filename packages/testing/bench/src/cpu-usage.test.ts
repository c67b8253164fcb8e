import { describe, expect, test } from '@jest/globals';
import { coresUsed, isBenchPostgres, parseMachineTicks, parseProcStatTicks } from './cpu-usage.ts';
import type { CpuSnapshot } from './cpu-usage.ts';

describe('parseProcStatTicks', () => {
  test('adds utime and stime, even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 11 0 1234 0 0';
    expect(parseProcStatTicks(stat)).toBe(175);
  });

  test('refuses text that is not a stat line', () => {
    expect(() => parseProcStatTicks('no such thing')).toThrow();
  });
});

describe('parseMachineTicks', () => {
  test('busy leaves out idle and iowait', () => {
    expect(parseMachineTicks('cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 1 2 3\n')).toEqual({ busy: 160, total: 1000 });
  });
});

describe('isBenchPostgres', () => {
  const ours = ['payapi_bench_app_1a2b3c4d'];

  test('counts backends of our databases and the server-wide processes, not other databases', () => {
    expect(isBenchPostgres('postgres: 15/main: postgres payapi_bench_app_1a2b3c4d 127.0.0.1(51234) idle', ours)).toBe(true);
    expect(isBenchPostgres('postgres: postgres payapi_bench_app_1a2b3c4d 127.0.0.1(51234) UPDATE', ours)).toBe(true);
    expect(isBenchPostgres('postgres: 15/main: postgres payapi_test_99 127.0.0.1(40000) idle', ours)).toBe(false);
    expect(isBenchPostgres('postgres: 15/main: walwriter', ours)).toBe(true);
    expect(isBenchPostgres('postgres: 15/main: autovacuum launcher', ours)).toBe(true);
    expect(isBenchPostgres('/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main', ours)).toBe(true);
  });

  test('leaves other programs out', () => {
    expect(isBenchPostgres('/usr/bin/node packages/bench/src/main.ts', ours)).toBe(false);
    expect(isBenchPostgres('pgbench -b tpcb-like', ours)).toBe(false);
  });
});

describe('coresUsed', () => {
  const snapshot = (atMs: number, busy: number, total: number, api: Array<[number, number]>): CpuSnapshot =>
    ({ atMs, machine: { busy, total }, groups: { api: new Map(api) } });

  test('turns ticks into cores over the wall time, with the machine and the unaccounted rest', () => {
    // 2 s, the api used 150 ticks (1.5 s = 0.75 cores); the machine was 90% busy on 2 cores (1.8).
    const used = coresUsed(snapshot(0, 0, 0, [[1, 100]]), snapshot(2000, 360, 400, [[1, 250]]), 2);
    expect(used).toEqual({ api: 0.75, machine: 1.8, other: 1.05 });
  });

  test('a process that started between the snapshots counts from zero; one that exited is dropped', () => {
    const used = coresUsed(snapshot(0, 0, 0, [[1, 100], [2, 50]]), snapshot(1000, 0, 0, [[1, 110], [3, 40]]), 2);
    expect(used.api).toBe(0.5);
  });
});
