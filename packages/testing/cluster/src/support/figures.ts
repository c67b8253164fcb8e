import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@payapi/platform';
import { CLUSTER_DIR } from './cluster.ts';
import { FORM } from './form.ts';

const asJson = (value: unknown, indent?: number): string =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), indent);

/**
 * Keeps what a cluster fault test measured: `figures/<name>-<form>.json` in the cluster's state
 * folder (the summary docs/cluster.md copies from), the same under `test-artifacts/cluster/`
 * (git-ignored, kept after `pnpm cluster down`), and one line on stderr. Bigints are written as strings.
 */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const text = `${asJson({ test: name, form: FORM, at: new Date().toISOString(), ...figures }, 2)}\n`;
  for (const directory of [join(CLUSTER_DIR, 'figures'), join(repoRoot, 'test-artifacts', 'cluster')]) {
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${name}-${FORM}.json`), text);
  }
  process.stderr.write(`\ncluster: ${name} (${FORM}): ${asJson(figures)}\n`);
}

/** Milliseconds as seconds with one decimal. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
