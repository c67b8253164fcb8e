import type { Comparison, Row } from './row.ts';

/** Peak RSS each service may reach (docs/testing.md), MB. */
export const RSS_TARGET_MB = 256;

const SHORT_NAMES: Readonly<Record<string, string>> = {
  'resource-api': 'api', 'auth-server': 'auth', reference: 'ref', postgres: 'pg', 'load generator': 'gen', machine: 'all',
};

/** `201: 1200, 422: 3` (sorted by key); `-` when empty. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([key, count]) => `${key}: ${count}`).join(', ');
}

/** `api 120.3, auth 98.1` (MB, or cores); `-` when nothing was read. */
export function formatRss(peakRssMb: Readonly<Record<string, number | null>>): string {
  const entries = Object.entries(peakRssMb);
  return entries.length === 0 ? '-' : entries.map(([name, mb]) => `${SHORT_NAMES[name] ?? name} ${mb ?? '?'}`).join(', ');
}

/** The largest peak RSS each service reached over `rows`, MB (references left out). */
export function servicePeaks(rows: readonly Row[]): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const row of rows) {
    for (const [name, mb] of Object.entries(row.peakRssMb)) {
      if (name === 'reference' || mb === null) continue;
      peaks[name] = Math.max(peaks[name] ?? 0, mb);
    }
  }
  return peaks;
}

function figure(value: number): string {
  return Number.isNaN(value) ? '-' : String(value);
}

/** The `target` cell of a comparison: `report`, or `>= T` with its verdict. */
function targetCell(comparison: Comparison): string {
  if (comparison.target === null) return 'report';
  return `>= ${comparison.target} ${comparison.met === null ? '(no reference)' : comparison.met ? 'met' : 'MISSED'}`;
}

/**
 * The results as a markdown table: each measured row, then each of its references with the
 * comparison on the reference's line (`ratio` = the measured row's rate / this reference's, and the
 * target), so a row with several references shows one ratio per reference. A reference that is
 * another scenario's row already listed (hot-account's `transfers`) is listed again under it, its
 * `what` naming that row; a comparison without a reference (pgbench missing) shows its target on
 * the measured line.
 *
 * @param rows in the order measured; rows without a comparison are listed after the others
 */
export function markdownTable(rows: readonly Row[], comparisons: readonly Comparison[]): string {
  const lines = [
    '| scenario | what | conns | per s | p50 ms | p99 ms | p99.9 ms | answers | unexpected | peak RSS MB | CPU cores busy | ratio | target |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---|',
  ];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const listed = new Set<string>();
  const line = (row: Row, options: { scenario?: string; label?: string; ratio?: number | null; target?: string } = {}): void => {
    listed.add(row.id);
    const unexpected = row.unexpectedCount === 0 ? '0' : `${row.unexpectedCount} (${formatCounts(row.unexpected)})`;
    const scenario = options.scenario ?? (row.role === 'reference' ? `${row.scenario} (reference)` : row.scenario);
    lines.push(`| ${scenario} | ${(options.label ?? row.label).replace(/\|/g, '\\|')} | ${row.connections} | `
      + `${row.perSecond} ${row.unit === 'requests' ? '' : row.unit === 'flows' ? 'flows' : 'tx'} | ${figure(row.p50Ms)} | ${figure(row.p99Ms)} | ${figure(row.p999Ms)} | `
      + `${formatCounts(row.byStatus)} | ${unexpected} | ${formatRss(row.peakRssMb)} | ${formatRss(row.coresUsed)} | ${options.ratio ?? ''} | ${options.target ?? ''} |`);
  };
  for (const comparison of comparisons) {
    const measured = byId.get(comparison.measuredId);
    if (measured && !listed.has(measured.id)) {
      const unreferenced = comparisons.filter((other) => other.measuredId === measured.id && !byId.has(other.referenceId ?? ''));
      line(measured, { target: unreferenced.map(targetCell).join('; ') });
    }
    const reference = byId.get(comparison.referenceId ?? '');
    if (!reference) continue;
    const again = listed.has(reference.id);
    line(reference, {
      ...(again ? { scenario: `${comparison.scenario} (reference)`, label: `the ${reference.id} row above: ${reference.label}` } : {}),
      ratio: comparison.ratio, target: targetCell(comparison),
    });
  }
  for (const row of rows) if (!listed.has(row.id)) line(row);
  return lines.join('\n').replace(/ {2,}\|/g, ' |');
}
