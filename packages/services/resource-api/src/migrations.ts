import { migrateSchema, rollbackSchema } from '@payapi/platform';
import type { SchemaMigrations } from '@payapi/platform';
import type { Knex } from 'knex';
import * as postTransferWithGrant from '../migrations/20261206_01_post_transfer_with_grant.ts';
import * as transferEvents from '../migrations/20261206_02_transfer_events.ts';
import * as requestLog from '../migrations/20261207_01_request_log.ts';
import * as postPayment from '../migrations/20261208_01_post_payment.ts';
import * as postTransfers from '../migrations/20261209_01_post_transfers.ts';
import * as postTransfersLockFirst from '../migrations/20261209_02_post_transfers_lock_first.ts';

/**
 * The resource API's schema `api` and its migrations, in order: SQL functions, which compose the
 * ledger's and the authorization server's functions into one statement per request, and the
 * request log (`api.request_log`, rows kept 14 days). Append new ones; never edit a shipped one,
 * and regenerate `schema.sql` (`pnpm schema:snapshot`).
 */
const API_SCHEMA: SchemaMigrations = {
  schemaName: 'api',
  migrations: [
    { name: '20261206_01_post_transfer_with_grant', migration: postTransferWithGrant },
    { name: '20261206_02_transfer_events', migration: transferEvents },
    { name: '20261207_01_request_log', migration: requestLog },
    { name: '20261208_01_post_payment', migration: postPayment },
    { name: '20261209_01_post_transfers', migration: postTransfers },
    { name: '20261209_02_post_transfers_lock_first', migration: postTransfersLockFirst },
  ],
  lockKey: 0x617069, // "api" in ASCII
};

/**
 * Brings schema `api` to the newest version; safe to run from several processes at once (see
 * `migrateSchema`). Its functions call schemas `ledger` and `auth` when they run, so migrate those
 * too before serving (the order of the migrations themselves does not matter). The knex pool needs
 * at least 2 connections.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateResourceApi(db: Knex): Promise<string[]> {
  return migrateSchema(db, API_SCHEMA);
}

/**
 * Undoes every applied migration of schema `api` (its only data, the request log, is lost): for tests and development.
 *
 * @returns the names of the migrations undone, newest first
 */
export async function rollbackResourceApi(db: Knex): Promise<string[]> {
  return rollbackSchema(db, API_SCHEMA);
}
