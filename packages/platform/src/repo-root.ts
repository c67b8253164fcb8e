import { resolve } from 'node:path';

/** Absolute path of the repository checkout (three levels above this file). Data folders live under it. */
export const repoRoot: string = resolve(import.meta.dirname, '../../..');
