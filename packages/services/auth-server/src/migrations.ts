import { migrateSchema, rollbackSchema } from '@payapi/platform';
import type { SchemaMigrations } from '@payapi/platform';
import type { Knex } from 'knex';
import * as oidcStore from '../migrations/20261129_01_oidc_store.ts';
import * as users from '../migrations/20261129_02_users.ts';
import * as keysAndTokens from '../migrations/20261129_03_keys_and_tokens.ts';
import * as argon2idHashes from '../migrations/20261130_04_argon2id_password_hashes.ts';
import * as clientNotifications from '../migrations/20261130_05_client_change_notifications.ts';
import * as accountReaders from '../migrations/20261206_06_account_readers.ts';
import * as grantChecksInPlpgsql from '../migrations/20261206_07_grant_checks_in_plpgsql.ts';
import * as clientSecretsAndPartnerApps from '../migrations/20261207_08_client_secrets_and_partner_apps.ts';
import * as paymentConsentGrants from '../migrations/20261208_09_payment_consent_grants.ts';
import * as accessTokenRevocationNotices from '../migrations/20261208_10_access_token_revocation_notices.ts';

/** The authorization server's schema and migrations, in order. Append new ones; never edit a shipped one. */
const AUTH_SCHEMA: SchemaMigrations = {
  schemaName: 'auth',
  migrations: [
    { name: '20261129_01_oidc_store', migration: oidcStore },
    { name: '20261129_02_users', migration: users },
    { name: '20261129_03_keys_and_tokens', migration: keysAndTokens },
    { name: '20261130_04_argon2id_password_hashes', migration: argon2idHashes },
    { name: '20261130_05_client_change_notifications', migration: clientNotifications },
    { name: '20261206_06_account_readers', migration: accountReaders },
    { name: '20261206_07_grant_checks_in_plpgsql', migration: grantChecksInPlpgsql },
    { name: '20261207_08_client_secrets_and_partner_apps', migration: clientSecretsAndPartnerApps },
    { name: '20261208_09_payment_consent_grants', migration: paymentConsentGrants },
    { name: '20261208_10_access_token_revocation_notices', migration: accessTokenRevocationNotices },
  ],
  lockKey: 0x61757468, // "auth" in ASCII
};

/**
 * Brings schema `auth` to the newest version; safe to run from several processes at once
 * (see `migrateSchema`). The knex pool needs at least 2 connections.
 *
 * @returns the names of the migrations applied now (empty when already up to date)
 */
export async function migrateAuth(db: Knex): Promise<string[]> {
  return migrateSchema(db, AUTH_SCHEMA);
}

/** Undoes every applied auth migration (all its data is lost): for tests and development. */
export async function rollbackAuth(db: Knex): Promise<string[]> {
  return rollbackSchema(db, AUTH_SCHEMA);
}
