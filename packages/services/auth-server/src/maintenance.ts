import type { Knex } from 'knex';
import { purgeExpired } from './adapter/index.ts';
import { purgeExpiredAccessTokens } from './tokens/access-token-records.ts';

/** Rows deleted per statement, and statements per run: bounded work, repeated every interval. */
const PURGE_BATCH_SIZE = 1000;
const PURGE_BATCHES_PER_RUN = 20;

/**
 * Deletes expired oidc-provider rows and old access-token records in bounded batches: at most
 * 20 batches of 1000 of each per run, so one run never holds the database for long; a backlog is
 * worked off over several runs.
 *
 * @returns how many rows of each kind were deleted
 */
export async function purgeExpiredAuthRows(db: Knex): Promise<{ oidc: number; accessTokens: number }> {
  let oidc = 0;
  let accessTokens = 0;
  for (let batch = 0; batch < PURGE_BATCHES_PER_RUN; batch += 1) {
    const deletedOidc = await purgeExpired(db, PURGE_BATCH_SIZE);
    const deletedTokens = await purgeExpiredAccessTokens(db, PURGE_BATCH_SIZE);
    oidc += deletedOidc;
    accessTokens += deletedTokens;
    if (deletedOidc < PURGE_BATCH_SIZE && deletedTokens < PURGE_BATCH_SIZE) break;
  }
  return { oidc, accessTokens };
}
