import { resolve } from 'node:path';

/** Absolute path of the repository checkout (four levels above this file). Data folders live under it. */
export const repoRoot: string = resolve(import.meta.dirname, '../../../..');
