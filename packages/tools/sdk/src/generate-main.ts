/**
 * `pnpm sdk:generate [URL]`: fetches the OpenAPI document a running resource API serves (default
 * `$RESOURCE_API_URL/openapi.json`, else http://localhost:4001/openapi.json, the API of `pnpm start`)
 * and rewrites src/generated/openapi.ts from it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { GENERATED_TYPES_PATH, generateTypes } from './generate.ts';

const source = process.argv[2] ?? `${process.env.RESOURCE_API_URL ?? 'http://localhost:4001'}/openapi.json`;
let document: object;
try {
  const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${source} answered ${response.status}`);
  document = await response.json() as object;
} catch (error) {
  process.stderr.write(`sdk:generate: cannot read the OpenAPI document at ${source} (${(error as Error).message}). `
    + 'Start the system first (pnpm start), or give the document\'s URL: pnpm sdk:generate http://HOST:PORT/openapi.json\n');
  process.exit(1);
}
const text = await generateTypes(document);
const before = await readFile(GENERATED_TYPES_PATH, 'utf8').catch(() => '');
await writeFile(GENERATED_TYPES_PATH, text);
process.stdout.write(`${JSON.stringify({ source, path: GENERATED_TYPES_PATH, changed: before !== text })}\n`);
