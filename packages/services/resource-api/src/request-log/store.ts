import type { Knex } from 'knex';
import { REQUEST_LOG_DEFAULTS } from './settings.ts';

/** One `/v1` call as the request log buffers it (docs/resource-api.md, "Request log"). */
export interface RequestLogRow {
  /** The validated access token's `client_id`. */
  clientId: string;
  /** When the request arrived, milliseconds since the epoch. */
  requestedAtMs: number;
  /** The HTTP method, at most 16 characters. */
  method: string;
  /** The path as `recordedPath` made it: no query, account ids masked, at most 256 characters. */
  path: string;
  /** The HTTP status answered. */
  status: number;
  /** From arrival to the end of the answer, milliseconds (0.01). */
  durationMs: number;
  /** The answer's `x-fapi-interaction-id`, at most 128 characters. */
  requestId: string;
}

/** One call as `listRecentRequests` returns it. */
export interface RecentRequest {
  /** When the request arrived, RFC 3339 in UTC with milliseconds (`2026-12-07T09:30:00.123Z`). */
  time: string;
  method: string;
  /** No query string; account ids masked to their last four digits (`/v1/accounts/acc_…1a2b/balance`). */
  path: string;
  status: number;
  /** From arrival to the end of the answer, milliseconds. */
  durationMs: number;
  /** The `x-fapi-interaction-id` the call was answered with (the client's own when it sent a well-formed one). */
  requestId: string;
}

/** The most `listRecentRequests` returns. */
export const RECENT_REQUESTS_LIMIT_MAX = 100;

/**
 * Writes `rows` with one INSERT: seven arrays unnested, so the statement's text is the same
 * whatever the batch size (one entry in pg_stat_statements, one plan).
 *
 * @throws the driver's error (the caller counts the batch as dropped)
 */
export async function insertRequestLogRows(db: Knex, rows: readonly RequestLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.raw(`
    INSERT INTO api.request_log (client_id, requested_at, method, path, status, duration_ms, request_id)
    SELECT * FROM unnest(?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::smallint[], ?::real[], ?::text[])`, [
    rows.map((row) => row.clientId),
    rows.map((row) => new Date(row.requestedAtMs).toISOString()),
    rows.map((row) => row.method),
    rows.map((row) => row.path),
    rows.map((row) => row.status),
    rows.map((row) => row.durationMs),
    rows.map((row) => row.requestId),
  ]);
}

/**
 * Deletes at most `batchRows` rows older than `retentionDays` (by the database's clock), found
 * through the BRIN index on `requested_at` and deleted by `ctid`. Several API instances may purge
 * at once: they only find less to delete.
 *
 * @returns how many rows were deleted (fewer than `batchRows`: nothing older is left)
 */
export async function purgeRequestLogBatch(db: Knex, retentionDays: number, batchRows: number): Promise<number> {
  const { rowCount } = await db.raw<{ rowCount: number | null }>(`
    DELETE FROM api.request_log WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM api.request_log WHERE requested_at < now() - make_interval(days => ?) LIMIT ?))`, [retentionDays, batchRows]);
  return rowCount ?? 0;
}

/**
 * The calls a client made with a valid token in the last 14 days, newest first (docs/resource-api.md,
 * "Request log"). Only this client's: the developer portal shows an app its own calls. Calls of the
 * last second or so may not be there yet (they are written in batches, about every 500 ms).
 *
 * @param db knex on the database where schema `api` is migrated
 * @param clientId the OAuth `client_id` of the app
 * @param limit how many calls at most, 1 to 100 (default 100)
 * @returns at most `limit` calls, newest first
 * @throws {RangeError} when `limit` is not an integer from 1 to 100 (a caller's bug)
 */
export async function listRecentRequests(db: Knex, clientId: string, limit = RECENT_REQUESTS_LIMIT_MAX): Promise<RecentRequest[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > RECENT_REQUESTS_LIMIT_MAX) {
    throw new RangeError(`limit must be an integer from 1 to ${RECENT_REQUESTS_LIMIT_MAX}, not ${limit}`);
  }
  const { rows } = await db.raw<{ rows: Array<{ requested_at: Date; method: string; path: string; status: number; duration_ms: number; request_id: string }> }>(`
    SELECT requested_at, method, path, status, duration_ms, request_id FROM api.request_log
     WHERE client_id = ? AND requested_at > now() - make_interval(days => ?)
     ORDER BY requested_at DESC LIMIT ?`, [clientId, REQUEST_LOG_DEFAULTS.retentionDays, limit]);
  return rows.map((row) => ({
    time: row.requested_at.toISOString(),
    method: row.method,
    path: row.path,
    status: row.status,
    durationMs: row.duration_ms,
    requestId: row.request_id,
  }));
}
