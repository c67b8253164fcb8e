/**
 * `pnpm schema:snapshot`: regenerates each package's `schema.sql` (see snapshot.ts) from a fresh
 * database on the server of `TEST_DATABASE_URL`, else `DATABASE_URL` (the server the tests compare
 * against), migrated by every package and dropped afterwards. Run it after adding a migration and
 * commit the files with it. Prints one line per file; exits 1 with a message when there is no
 * server or no pg_dump as new as the server.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createTestDatabase } from '@payapi/platform/testing';
import { findPgDump } from './pg-dump.ts';
import { migrateEverySchema, renderSnapshots, serverMajor, snapshotPath } from './snapshot.ts';

async function main(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    throw new Error('set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server where databases may be created, '
      + 'e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm schema:snapshot');
  }
  process.env.TEST_DATABASE_URL = url;
  const database = await createTestDatabase();
  try {
    const major = await serverMajor(database.db);
    const found = await findPgDump(process.env, major);
    if ('problem' in found) throw new Error(found.problem);
    await migrateEverySchema(database.db);
    for (const { target, text } of await renderSnapshots(found.pgDump, database.url, major)) {
      const path = snapshotPath(target);
      const unchanged = existsSync(path) && readFileSync(path, 'utf8') === text;
      if (!unchanged) writeFileSync(path, text);
      console.log(`${target.file}: ${unchanged ? 'unchanged' : 'written'} (schema ${target.schema}, pg_dump ${found.pgDump.major}, PostgreSQL ${major})`);
    }
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(`schema:snapshot: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
