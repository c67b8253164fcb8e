import type { Knex } from 'knex';
import { STORE_TABLE } from './store-sql.ts';
import type { RawCount, RawRows } from './store-sql.ts';

/** Largest `batchSize` accepted by {@link purgeExpired}. */
export const PURGE_BATCH_SIZE_MAX = 100_000;

/**
 * Deletes the rows of `auth.oidc_store` that expired before the call, in batches of at most
 * `batchSize` rows, each its own short statement (so locks and WAL stay bounded and the adapter
 * keeps working meanwhile). Expired rows are already invisible to the adapter: this only reclaims
 * space. Rows expiring while it runs are left for the next run, so it always ends; rows another
 * purge holds locked are skipped. Safe to run from several processes at once.
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 * @param batchSize rows per DELETE, an integer from 1 to {@link PURGE_BATCH_SIZE_MAX}
 * @returns the number of rows deleted
 * @throws {RangeError} when `batchSize` is out of range; database errors as they are (batches
 *   already committed stay deleted)
 */
export async function purgeExpired(db: Knex, batchSize: number): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > PURGE_BATCH_SIZE_MAX) {
    throw new RangeError(`batchSize must be an integer from 1 to ${PURGE_BATCH_SIZE_MAX}, got ${String(batchSize)}`);
  }
  // The cutoff as text keeps PostgreSQL's microseconds, which a JavaScript Date would drop.
  const { rows } = await db.raw<RawRows<{ cutoff: string }>>(
    `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff`,
  );
  const cutoff = rows[0]?.cutoff;
  if (cutoff === undefined) throw new Error('purgeExpired: SELECT now() returned no row');
  let deletedTotal = 0;
  for (;;) {
    const result = await db.raw<RawCount>(
      `WITH doomed AS (
         SELECT model, id FROM ${STORE_TABLE}
         WHERE expires_at <= ?::timestamptz
         ORDER BY expires_at
         LIMIT ?
         FOR UPDATE SKIP LOCKED
       )
       DELETE FROM ${STORE_TABLE} s USING doomed WHERE s.model = doomed.model AND s.id = doomed.id`,
      [cutoff, batchSize],
    );
    const deleted = result.rowCount ?? 0;
    deletedTotal += deleted;
    if (deleted < batchSize) return deletedTotal;
  }
}
