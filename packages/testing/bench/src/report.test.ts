import { describe, expect, test } from '@jest/globals';
import { formatCounts, markdownTable, servicePeaks } from './report.ts';
import { compareRates, cpuPerRequest } from './row.ts';
import type { Row } from './row.ts';

function row(id: string, role: Row['role'], perSecond: number, peakRssMb: Row['peakRssMb'] = {}): Row {
  return {
    id, scenario: 'balance', role, label: `label | ${id}`, connections: 32, seconds: 10, requests: perSecond * 10, perSecond, unit: 'requests',
    p50Ms: 1, p99Ms: 2, p999Ms: Number.NaN, byStatus: { 200: perSecond * 10 }, unexpected: {}, unexpectedCount: 0, peakRssMb,
    coresUsed: {}, cpuMsPerRequest: {},
  };
}

describe('compareRates', () => {
  test('divides measured by reference and checks the target on the exact ratio', () => {
    expect(compareRates(600, 1000, 0.6)).toEqual({ ratio: 0.6, met: true });
    expect(compareRates(599, 1000, 0.6)).toEqual({ ratio: 0.6, met: false });
    expect(compareRates(800, 1000, null)).toEqual({ ratio: 0.8, met: null });
  });

  test('has no ratio without a reference or with a zero one', () => {
    expect(compareRates(800, null, 0.8)).toEqual({ ratio: null, met: null });
    expect(compareRates(800, 0, 0.8)).toEqual({ ratio: null, met: null });
  });
});

describe('cpuPerRequest', () => {
  test('is cores x 1000 / requests per second, without the machine-wide groups', () => {
    expect(cpuPerRequest({ 'resource-api': 0.72, machine: 2, other: 0.9 }, 1440)).toEqual({ 'resource-api': 0.5 });
    expect(cpuPerRequest({ 'resource-api': 0.72 }, 0)).toEqual({});
  });
});

describe('report', () => {
  test('formatCounts sorts keys and says - for none', () => {
    expect(formatCounts({ 422: 3, 201: 1200 })).toBe('201: 1200, 422: 3');
    expect(formatCounts({})).toBe('-');
  });

  test('servicePeaks keeps the largest RSS per service and leaves references out', () => {
    const rows = [row('a', 'measured', 1, { 'resource-api': 100, 'auth-server': 90 }), row('b', 'measured', 1, { 'resource-api': 120, 'auth-server': null }), row('c', 'reference', 1, { reference: 500 })];
    expect(servicePeaks(rows)).toEqual({ 'resource-api': 120, 'auth-server': 90 });
  });

  test('the table lists each measured row, then its reference with the ratio and verdict, escaping pipes', () => {
    const rows = [row('balance', 'measured', 500), row('balance:reference', 'reference', 1000)];
    const table = markdownTable(rows, [{ scenario: 'balance', measuredId: 'balance', referenceId: 'balance:reference', ratio: 0.5, target: 0.6, met: false, bound: '' }]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| balance \| label \\\| balance \|/);
    expect(lines[2]).toMatch(/\| 1 \| 2 \| - \|.* \| \|$/);
    expect(lines[3]).toMatch(/^\| balance \(reference\) \| label \\\| balance:reference \|/);
    expect(lines[3]).toMatch(/\| 0\.5 \| >= 0\.6 MISSED \|$/);
  });

  test('a row with several references is listed once, each reference with its own ratio and target', () => {
    const rows = [row('balance', 'measured', 700), row('balance:reference', 'reference', 7000), row('balance:same-sql', 'reference', 900)];
    const table = markdownTable(rows, [
      { scenario: 'balance', measuredId: 'balance', referenceId: 'balance:reference', ratio: 0.1, target: null, met: null, bound: '' },
      { scenario: 'balance', measuredId: 'balance', referenceId: 'balance:same-sql', ratio: 0.78, target: 0.7, met: true, bound: '' },
    ]);
    const lines = table.split('\n').slice(2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| balance \| label \\\| balance \|.* \| \|$/);
    expect(lines[1]).toMatch(/balance:reference \|.*\| 0\.1 \| report \|$/);
    expect(lines[2]).toMatch(/balance:same-sql \|.*\| 0\.78 \| >= 0\.7 met \|$/);
  });

  test('a reference that is another scenario\'s row is listed again under the measured row, named', () => {
    const rows = [row('transfers', 'measured', 900), row('hot-account', 'measured', 600)];
    const table = markdownTable(rows, [
      { scenario: 'balance', measuredId: 'transfers', referenceId: null, ratio: null, target: 1, met: null, bound: '' },
      { scenario: 'balance', measuredId: 'hot-account', referenceId: 'transfers', ratio: 0.67, target: null, met: null, bound: '' },
    ]);
    const lines = table.split('\n').slice(2);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| balance \| label \\\| transfers \|.* \| >= 1 \(no reference\) \|$/);
    expect(lines[1]).toMatch(/^\| balance \| label \\\| hot-account \|/);
    expect(lines[2]).toMatch(/^\| balance \(reference\) \| the transfers row above: label \\\| transfers \|.*\| 900 \|.*\| 0\.67 \| report \|$/);
  });
});
