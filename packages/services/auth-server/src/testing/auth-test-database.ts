import { migrateEvents } from '@payapi/events';
import { migrateLedger } from '@payapi/ledger';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { migrateAuth } from '../migrations.ts';

/** A test file's own database with schemas `ledger`, `events` and `auth` migrated. */
export async function createAuthTestDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  await migrateLedger(database.db);
  await migrateEvents(database.db);
  await migrateAuth(database.db);
  return database;
}
