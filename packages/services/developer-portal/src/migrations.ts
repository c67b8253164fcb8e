import { migrateSchema, rollbackSchema } from '@payapi/platform';
import type { SchemaMigrations } from '@payapi/platform';
import type { Knex } from 'knex';
import * as portal from '../migrations/20261207_01_portal.ts';
import * as showOnce from '../migrations/20261207_02_show_once.ts';

/** Schema `portal` and its migrations, in order. Append new ones; never edit a shipped one (regenerate `schema.sql`). */
const PORTAL_SCHEMA: SchemaMigrations = {
  schemaName: 'portal',
  migrations: [
    { name: '20261207_01_portal', migration: portal },
    { name: '20261207_02_show_once', migration: showOnce },
  ],
  lockKey: 0x706f7274616c, // "portal" in ASCII
};

/**
 * Brings schema `portal` to the newest version; safe from several processes at once (see
 * `migrateSchema`). The knex pool needs at least 2 connections.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migratePortal(db: Knex): Promise<string[]> {
  return migrateSchema(db, PORTAL_SCHEMA);
}

/** Undoes every applied migration of schema `portal` (developers, sessions and ownership are lost): for tests and development. */
export async function rollbackPortal(db: Knex): Promise<string[]> {
  return rollbackSchema(db, PORTAL_SCHEMA);
}
