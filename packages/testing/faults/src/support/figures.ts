import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@payapi/platform';
import { FORM } from './form.ts';

/**
 * Keeps what a fault test measured: writes `test-artifacts/faults/<name>-<form>.json` (git-ignored)
 * and one line on stderr, so that a run by hand shows its figures. Bigints are written as strings.
 */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const directory = join(repoRoot, 'test-artifacts', 'faults');
  mkdirSync(directory, { recursive: true });
  const text = JSON.stringify({ test: name, form: FORM, at: new Date().toISOString(), ...figures },
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
  writeFileSync(join(directory, `${name}-${FORM}.json`), `${text}\n`);
  process.stderr.write(`\nfaults: ${name} (${FORM}): ${JSON.stringify(figures, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
}

/** The largest of `values` (0 for none), rounded to a tenth of a millisecond. */
export function maxMs(values: Iterable<number>): number {
  let max = 0;
  for (const value of values) max = Math.max(max, value);
  return Math.round(max * 10) / 10;
}

/** The `p`-quantile (0..1) of `values`, rounded to a tenth of a millisecond (0 for none). */
export function quantileMs(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  return Math.round(value * 10) / 10;
}

/** Counts of each distinct key. */
export function histogram(keys: Iterable<string | number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[String(key)] = (counts[String(key)] ?? 0) + 1;
  return counts;
}
