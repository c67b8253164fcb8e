import { EventsError } from './errors.ts';

/** A position in a newest-first list ordered by (`created_at`, `id`): where the next page starts. */
export interface PagePosition {
  /** RFC 3339 with microseconds, as PostgreSQL wrote it. */
  createdAt: string;
  id: string;
}

/** Longest cursor accepted, characters. */
const CURSOR_LENGTH_MAX = 256;

/** An opaque cursor for `position` (base64url JSON). */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

/**
 * @throws {EventsError} `invalid_request` for anything {@link encodeCursor} did not make
 */
export function decodeCursor(cursor: string): PagePosition {
  const refuse = (): EventsError => new EventsError('invalid_request', 'cursor is not a cursor this API returned');
  if (cursor.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refuse();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(value) || value.length !== 2) throw refuse();
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(createdAt)
    || typeof id !== 'string' || !/^[a-z]+_[0-9a-f]{32}$/.test(id)) throw refuse();
  // A real instant (no month 13, no 30 February, no leap second) from year 1000 on: PostgreSQL must read it.
  const asDate = new Date(createdAt);
  if (Number.isNaN(asDate.getTime()) || asDate.toISOString().slice(0, 19) !== createdAt.slice(0, 19) || asDate.getUTCFullYear() < 1000) {
    throw refuse();
  }
  return { createdAt, id };
}

/** Page sizes: 1 to 100, 20 by default. */
export const PAGE_LIMIT_MAX = 100;
export const PAGE_LIMIT_DEFAULT = 20;

/** @throws {EventsError} `invalid_request` for a limit that is not an integer from 1 to 100 */
export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return PAGE_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT_MAX) {
    throw new EventsError('invalid_request', `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`);
  }
  return limit;
}

/** SQL of a timestamp column as RFC 3339 UTC with microseconds. */
export function rfc3339(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
