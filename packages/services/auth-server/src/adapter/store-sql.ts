/** The table behind the adapter (migration 20261129_01_oidc_store). */
export const STORE_TABLE = 'auth.oidc_store';

/** SQL condition true for rows that have not expired, by the database clock. */
export const LIVE_ROW = '(expires_at IS NULL OR expires_at > now())';

/**
 * SQL expression for `expires_at` from one float8 binding: seconds from now, or NULL for never.
 * `now()` is the statement's transaction start, so rows written by one statement share one clock.
 */
export const EXPIRES_AT_FROM_SECONDS = `now() + ?::float8 * interval '1 second'`;

/** The rows a `db.raw` SELECT or RETURNING gives back with the pg driver. */
export interface RawRows<Row> {
  rows: Row[];
}

/** What a `db.raw` INSERT, UPDATE or DELETE gives back with the pg driver. */
export interface RawCount {
  rowCount: number | null;
}
