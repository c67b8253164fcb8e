import { describe, expect, test } from '@jest/globals';
import { parsePgbenchLog, parsePgbenchTps } from './pgbench-log.ts';

describe('parsePgbenchLog', () => {
  test('reads the elapsed microseconds of each transaction as milliseconds, and the span of completions', () => {
    const log = [
      '0 199 2241 0 1175850568 995598',
      '1 0 15000 0 1175850569 100000',
      '31 7 870 0 1175850570 500000 0 0',
      '',
    ].join('\n');
    const summary = parsePgbenchLog(log);
    expect(summary.latenciesMs).toEqual([2.241, 15, 0.87]);
    expect(summary.failed).toBe(0);
    expect(summary.firstEndS).toBeCloseTo(1175850568.995598, 5);
    expect(summary.lastEndS).toBeCloseTo(1175850570.5, 5);
  });

  test('counts failed and skipped transactions apart from the latencies', () => {
    const summary = parsePgbenchLog('0 1 failed 0 1175850568 1\n0 2 skipped 0 1175850568 2\n0 3 1000 0 1175850568 3\n');
    expect(summary).toMatchObject({ latenciesMs: [1], failed: 2 });
  });

  test('an empty log has no latencies and NaN bounds', () => {
    expect(parsePgbenchLog('\n')).toMatchObject({ latenciesMs: [], failed: 0 });
    expect(parsePgbenchLog('').firstEndS).toBeNaN();
  });

  test('refuses a line in another format instead of inventing latencies', () => {
    expect(() => parsePgbenchLog('progress: 1.0 s, 1500.0 tps')).toThrow(/line 1/);
    expect(() => parsePgbenchLog('0 1 12.5 0 1175850568 1')).toThrow(/microseconds/);
  });
});

describe('parsePgbenchTps', () => {
  test('prefers the figure without the initial connection time', () => {
    const output = 'latency average = 20.1 ms\ninitial connection time = 30.2 ms\ntps = 1590.42 (without initial connection time)\n';
    expect(parsePgbenchTps(output)).toBe(1590.42);
    expect(parsePgbenchTps('tps = 12.5 (including connections establishing)\ntps = 13.5 (excluding connections establishing)')).toBe(12.5);
    expect(parsePgbenchTps('nothing here')).toBeUndefined();
  });
});
