export { ConfigError } from './config-error.ts';
export { checkDatabaseUrl, redactDatabaseUrl } from './database-url.ts';
export { createDatabase } from './database.ts';
export type { DatabaseOptions } from './database.ts';
export { startEmbeddedPostgres } from './embedded-postgres.ts';
export type { EmbeddedPostgresOptions, RunningPostgres } from './embedded-postgres.ts';
export { repoRoot } from './repo-root.ts';
