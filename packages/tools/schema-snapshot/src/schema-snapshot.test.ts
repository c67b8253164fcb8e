/**
 * Each committed `schema.sql` (see snapshot.ts) must equal the pg_dump of its schema in a freshly
 * migrated database: a migration that changes a schema without `pnpm schema:snapshot` being run
 * fails here with the lines that differ. pg_dump cannot dump a server of a newer major version than
 * its own (the embedded PostgreSQL 18 of a test run without TEST_DATABASE_URL, beside Debian's
 * pg_dump 15), and its text differs between major versions: without a matching pg_dump, or on
 * another major version than the snapshots were made with, the test is skipped with a loud message,
 * except with CI=true, where it fails.
 */
import { readFileSync } from 'node:fs';
import { diff } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { findPgDump } from './pg-dump.ts';
import type { PgDump } from './pg-dump.ts';
import { SNAPSHOT_TARGETS, migrateEverySchema, renderSnapshots, serverMajor, snapshotPath, snapshotVersions } from './snapshot.ts';

const ci = process.env.CI === 'true';

/** Why the comparison cannot run here, or the pg_dump and server version to run it with. */
async function tools(): Promise<{ pgDump: PgDump; serverMajor: number } | { problem: string }> {
  const probe = await createTestDatabase();
  try {
    const major = await serverMajor(probe.db);
    const found = await findPgDump(process.env, major);
    if ('problem' in found) return found;
    const made = snapshotVersions(readFileSync(snapshotPath(SNAPSHOT_TARGETS[0]!), 'utf8'));
    if (made && (made.serverMajor !== major || made.pgDumpMajor !== found.pgDump.major)) {
      return { problem: `the snapshots were made with pg_dump ${made.pgDumpMajor} on PostgreSQL ${made.serverMajor}; here pg_dump `
        + `${found.pgDump.major} on PostgreSQL ${major} would word them differently` };
    }
    return { pgDump: found.pgDump, serverMajor: major };
  } finally {
    await probe.drop();
  }
}

const usable = await tools();

if ('problem' in usable && !ci) {
  process.stderr.write([
    '',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '!!! SKIPPED: the schema snapshot test (schema.sql beside each package\'s migrations):',
    `!!! ${usable.problem}.`,
    '!!! With CI=true it fails instead of skipping.',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '',
  ].join('\n'));
}

/** The differing lines with two lines of context, `-` for the committed file, `+` for the fresh dump. */
function readableDiff(committed: string, fresh: string): string {
  const entries = diff(committed.split('\n'), fresh.split('\n'));
  const shown = entries.map((entry, index) => entries.slice(Math.max(0, index - 2), index + 3).some(([op]) => op !== 0));
  const lines: string[] = [];
  entries.forEach(([op, line], index) => {
    if (!shown[index]) {
      if (lines.at(-1) !== '  …') lines.push('  …');
      return;
    }
    lines.push(`${op === 0 ? ' ' : op === 1 ? '-' : '+'} ${line}`);
  });
  return lines.join('\n');
}

(!('problem' in usable) || ci ? describe : describe.skip)('schema snapshots', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    if ('problem' in usable) throw new Error(`CI=true: the schema snapshot test cannot run: ${usable.problem}`);
    database = await createTestDatabase();
    await migrateEverySchema(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  test('each schema.sql equals its schema in a freshly migrated database (else run `pnpm schema:snapshot` and commit)', async () => {
    if ('problem' in usable) throw new Error(usable.problem);
    const stale: string[] = [];
    for (const { target, text } of await renderSnapshots(usable.pgDump, database.url, usable.serverMajor)) {
      const committed = readFileSync(snapshotPath(target), 'utf8');
      if (committed !== text) {
        stale.push(`${target.file} differs from schema ${target.schema} as the migrations leave it (- file, + migrations):\n`
          + readableDiff(committed, text));
      }
    }
    if (stale.length > 0) throw new Error(`${stale.join('\n\n')}\n\nRun \`pnpm schema:snapshot\` and commit the files.`);
    expect(stale).toEqual([]);
  });
});
