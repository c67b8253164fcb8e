import { describe, expect, test } from '@jest/globals';
import { packageOf, summarizeCpuProfile } from './cpu-profile.ts';
import type { CpuProfile } from './cpu-profile.ts';

const profile: CpuProfile = {
  startTime: 1_000,
  nodes: [
    { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: 'verify', url: 'file:///r/node_modules/.pnpm/jose@6/node_modules/jose/dist/verify.js', lineNumber: 9 } },
    { id: 3, callFrame: { functionName: 'query', url: 'file:///r/node_modules/.pnpm/pg@8/node_modules/pg/lib/client.js', lineNumber: 0 } },
    { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
  ],
  samples: [1, 2, 2, 3, 4, 2],
  timeDeltas: [100, 300, 300, 200, 100, 100],
};

describe('summarizeCpuProfile', () => {
  test('gives each sample its time delta, leaves idle out of the busy share, and groups by package', () => {
    const summary = summarizeCpuProfile(profile);
    expect(summary.busyMs).toBe(1);
    expect(summary.idleMs).toBe(0);
    expect(summary.functions[0]).toEqual({ name: 'verify jose/dist/verify.js:10', selfMs: 0.7, percent: 70 });
    expect(summary.packages.map((entry) => [entry.name, entry.percent])).toEqual([['jose', 70], ['pg', 20], ['(garbage collector)', 10]]);
  });

  test('keeps only the samples inside a clock window', () => {
    // Sample times: 1100, 1400, 1700, 1900, 2000, 2100.
    const summary = summarizeCpuProfile(profile, 10, { startUs: 1_800, endUs: 2_000 });
    expect(summary.packages.map((entry) => entry.name)).toEqual(['pg', '(garbage collector)']);
  });

  test('refuses a profile whose samples and deltas differ in length', () => {
    expect(() => summarizeCpuProfile({ ...profile, timeDeltas: [1] })).toThrow(/differ/);
  });
});

describe('packageOf', () => {
  test('names the innermost npm package, with its scope', () => {
    expect(packageOf('file:///r/node_modules/.pnpm/@koa+router@15/node_modules/@koa/router/lib/x.js', 'f')).toBe('@koa/router');
    expect(packageOf('node:internal/crypto/util', 'f')).toBe('node:internal');
    expect(packageOf('file:///work/main/packages/services/resource-api/src/app.ts', 'f')).toBe('packages/services/resource-api');
    expect(packageOf('', '(program)')).toBe('(program)');
    expect(packageOf('', 'writev')).toBe('(native)');
  });
});
