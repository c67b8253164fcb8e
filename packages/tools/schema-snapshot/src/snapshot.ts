import { join } from 'node:path';
import { migrateEvents } from '@payapi/events';
import { migrateAuth } from '@payapi/auth-server';
import { migratePortal } from '@payapi/developer-portal';
import { migrateLedger } from '@payapi/ledger';
import { repoRoot } from '@payapi/platform';
import { migrateResourceApi } from '@payapi/resource-api';
import type { Knex } from 'knex';
import { dumpSchema } from './pg-dump.ts';
import type { PgDump } from './pg-dump.ts';

/** A schema and the file, beside its package's migrations, that shows it as the migrations leave it. */
export interface SnapshotTarget {
  schema: string;
  /** Path from the repository root. */
  file: string;
}

/** Every schema of the system and its snapshot file. */
export const SNAPSHOT_TARGETS: readonly SnapshotTarget[] = [
  { schema: 'ledger', file: 'packages/core/ledger/schema.sql' },
  { schema: 'events', file: 'packages/core/events/schema.sql' },
  { schema: 'auth', file: 'packages/services/auth-server/schema.sql' },
  { schema: 'api', file: 'packages/services/resource-api/schema.sql' },
  { schema: 'portal', file: 'packages/services/developer-portal/schema.sql' },
];

/** @returns the absolute path of a target's file */
export function snapshotPath(target: SnapshotTarget): string {
  return join(repoRoot, target.file);
}

/**
 * Applies every package's migrations (schemas `ledger`, `events`, `auth`, `api`, `portal`), as `pnpm cli db:migrate` does.
 *
 * @throws whatever a migration throws (that migration is rolled back)
 */
export async function migrateEverySchema(db: Knex): Promise<void> {
  await migrateLedger(db);
  await migrateEvents(db);
  await migrateAuth(db);
  await migrateResourceApi(db);
  await migratePortal(db);
}

/** Lines of a pg_dump that depend on the pg_dump build, the session or the run, not on the schema. */
const VOLATILE_LINES = [
  /^-- Dumped (from database|by pg_dump) version /,
  // Random per run since pg_dump 17.6, 16.10, 15.14 (CVE-2025-8714).
  /^\\(un)?restrict\b/,
  /^SET [a-z_.]+ = .*;$/,
  /^SELECT pg_catalog\.set_config\('search_path', '', false\);$/,
];

/**
 * pg_dump's output reduced to what the migrations decide: no version lines, no session settings,
 * no `\restrict` keys, no "PostgreSQL database dump" banners, no trailing spaces, one blank line at
 * most between statements, one newline at the end. pg_dump already orders objects by kind and name,
 * so two databases migrated alike give the same text.
 *
 * @param dump pg_dump's plain-format output
 * @returns the normalised text
 */
export function normaliseDump(dump: string): string {
  const lines = dump.replace(/\r\n/g, '\n').split('\n').map((line) => line.trimEnd())
    .filter((line) => !VOLATILE_LINES.some((pattern) => pattern.test(line)));
  return `${lines.join('\n')
    .replace(/^--\n-- PostgreSQL database dump( complete)?\n--$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** Versions a snapshot was made with: pg_dump's text differs between major versions. */
export interface SnapshotVersions {
  pgDumpMajor: number;
  serverMajor: number;
}

/**
 * The text of a snapshot file: a header naming the schema, the command and the major versions
 * (pg_dump words some things differently from one major version to the next), then the dump
 * through {@link normaliseDump}.
 *
 * @param dump pg_dump's plain-format output of `schema`
 * @returns the file's text, ending with a newline
 */
export function renderSnapshot(schema: string, dump: string, versions: SnapshotVersions): string {
  return `-- Schema \`${schema}\` as its migrations leave it, made by \`pnpm schema:snapshot\` ` +
    `with pg_dump ${versions.pgDumpMajor} on PostgreSQL ${versions.serverMajor}. Do not edit: regenerate.\n\n${normaliseDump(dump)}`;
}

/** @returns the versions in a snapshot file's header ({@link renderSnapshot}); undefined when it has none */
export function snapshotVersions(text: string): SnapshotVersions | undefined {
  const match = /^-- Schema `[^`]+` .* with pg_dump (\d+) on PostgreSQL (\d+)\./.exec(text);
  return match ? { pgDumpMajor: Number(match[1]), serverMajor: Number(match[2]) } : undefined;
}

/**
 * Dumps every target schema of a migrated database and renders its snapshot text.
 *
 * @param databaseUrl a database on which {@link migrateEverySchema} ran
 * @param serverMajorVersion that server's major version ({@link serverMajor}), written in each header
 * @returns the text of each target's file, in {@link SNAPSHOT_TARGETS} order
 * @throws {Error} when pg_dump fails
 */
export async function renderSnapshots(
  pgDump: PgDump,
  databaseUrl: string,
  serverMajorVersion: number,
): Promise<Array<{ target: SnapshotTarget; text: string }>> {
  const rendered = [];
  for (const target of SNAPSHOT_TARGETS) {
    const dump = await dumpSchema(pgDump, databaseUrl, target.schema);
    rendered.push({ target, text: renderSnapshot(target.schema, dump, { pgDumpMajor: pgDump.major, serverMajor: serverMajorVersion }) });
  }
  return rendered;
}

/** @returns the server's major version (`server_version_num` / 10000, e.g. 15 or 18) */
export async function serverMajor(db: Knex): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ server_version_num: string }> }>('SHOW server_version_num');
  return Math.floor(Number(rows[0]?.server_version_num) / 10_000);
}
