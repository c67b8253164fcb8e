/**
 * SQL fragment rendering a timestamptz column as RFC 3339 UTC with microseconds, e.g.
 * `2026-11-29T21:23:37.123456Z`. The text keeps PostgreSQL's full precision (a JavaScript Date
 * would drop the microseconds that history cursors need) and casts back exactly with `::timestamptz`.
 */
export function rfc3339(column: string): string {
  return `to_char((${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** SQLSTATEs worth retrying the whole transaction for: serialization_failure, deadlock_detected. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/**
 * Waits that ran out: query_canceled (57014, raised by statement_timeout) and lock_not_available
 * (55P03, lock_timeout). The work was rolled back; retrying at once would most likely wait again.
 */
export const TIMEOUT_SQLSTATES: ReadonlySet<string> = new Set(['57014', '55P03']);

/** SQLSTATE numeric_value_out_of_range: a bigint balance overflowed. */
export const NUMERIC_OUT_OF_RANGE = '22003';

/** The SQLSTATE of a pg driver error, if any. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
