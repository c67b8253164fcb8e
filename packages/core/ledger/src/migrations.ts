import { migrateSchema, rollbackSchema } from '@payapi/platform';
import type { SchemaMigrations } from '@payapi/platform';
import type { Knex } from 'knex';
import * as ledgerCore from '../migrations/20261129_01_ledger_core.ts';
import * as transferFunctions from '../migrations/20261130_02_transfer_functions.ts';
import * as balanceCheckOnce from '../migrations/20261130_03_balance_check_once.ts';
import * as idempotencyPerSubject from '../migrations/20261206_04_idempotency_per_subject.ts';
import * as retireInFlightClaims from '../migrations/20261206_05_retire_in_flight_claims.ts';
import * as transferPostingsForEvents from '../migrations/20261206_06_transfer_postings_for_events.ts';
import * as paymentConsents from '../migrations/20261208_07_payment_consents.ts';
import * as paymentConsentExpiry from '../migrations/20261208_08_payment_consent_expiry.ts';
import * as postTransfers from '../migrations/20261209_09_post_transfers.ts';
import * as lockTransferAccounts from '../migrations/20261209_10_lock_transfer_accounts.ts';

/**
 * The ledger's schema and migrations, in order. Append new ones; never edit a shipped one, and
 * regenerate `schema.sql` (`pnpm schema:snapshot`). Exported for the package's own migration tests.
 */
export const LEDGER_SCHEMA: SchemaMigrations = {
  schemaName: 'ledger',
  migrations: [
    { name: '20261129_01_ledger_core', migration: ledgerCore },
    { name: '20261130_02_transfer_functions', migration: transferFunctions },
    { name: '20261130_03_balance_check_once', migration: balanceCheckOnce },
    { name: '20261206_04_idempotency_per_subject', migration: idempotencyPerSubject },
    { name: '20261206_05_retire_in_flight_claims', migration: retireInFlightClaims },
    { name: '20261206_06_transfer_postings_for_events', migration: transferPostingsForEvents },
    { name: '20261208_07_payment_consents', migration: paymentConsents },
    { name: '20261208_08_payment_consent_expiry', migration: paymentConsentExpiry },
    { name: '20261209_09_post_transfers', migration: postTransfers },
    { name: '20261209_10_lock_transfer_accounts', migration: lockTransferAccounts },
  ],
  lockKey: 0x6c6564676572, // "ledger" in ASCII
};

/**
 * Brings schema `ledger` to the newest version; safe to run from several processes at once
 * (see `migrateSchema`). The knex pool needs at least 2 connections.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateLedger(db: Knex): Promise<string[]> {
  return migrateSchema(db, LEDGER_SCHEMA);
}

/**
 * Undoes every applied ledger migration (all ledger data is lost): for tests and development.
 *
 * @returns the names of the migrations undone
 */
export async function rollbackLedger(db: Knex): Promise<string[]> {
  return rollbackSchema(db, LEDGER_SCHEMA);
}
