import { migrateSchema, rollbackSchema } from '@payapi/platform';
import type { SchemaMigrations } from '@payapi/platform';
import type { Knex } from 'knex';
import * as events from '../migrations/20261206_01_events.ts';
import * as deliveriesWithoutEndpointLock from '../migrations/20261206_02_deliveries_without_endpoint_lock.ts';

/** Schema `events` and its migrations, in order. Append new ones; never edit a shipped one (regenerate `schema.sql`). */
const EVENTS_SCHEMA: SchemaMigrations = {
  schemaName: 'events',
  migrations: [
    { name: '20261206_01_events', migration: events },
    { name: '20261206_02_deliveries_without_endpoint_lock', migration: deliveriesWithoutEndpointLock },
  ],
  lockKey: 0x6576656e7473, // "events" in ASCII
};

/**
 * Brings schema `events` to the newest version; safe from several processes at once (see
 * `migrateSchema`). Migrate it before the schemas whose functions append events (`auth`, `api`).
 *
 * @returns the names of the migrations applied now
 */
export async function migrateEvents(db: Knex): Promise<string[]> {
  return migrateSchema(db, EVENTS_SCHEMA);
}

/** Undoes every applied migration of schema `events` (all events are lost): for tests and development. */
export async function rollbackEvents(db: Knex): Promise<string[]> {
  return rollbackSchema(db, EVENTS_SCHEMA);
}
