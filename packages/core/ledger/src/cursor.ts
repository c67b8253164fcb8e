import { LedgerError } from './errors.ts';
import { isId } from './ids.ts';
import { toUtcMicros } from './timestamps.ts';

/** A position in an account's history: the last row of the page before. */
export interface HistoryPosition {
  /** RFC 3339 UTC with microseconds, as the ledger renders `booked_at`. */
  bookedAt: string;
  postingId: string;
}

const BOOKED_AT_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const CURSOR_LENGTH_MAX = 200;

/** Encodes a position as an opaque cursor (base64url of a small JSON document, version 1). */
export function encodeCursor(position: HistoryPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: position.bookedAt, p: position.postingId })).toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 *
 * @throws {LedgerError} `invalid_cursor` for anything not made by it
 */
export function decodeCursor(cursor: unknown): HistoryPosition {
  const invalid = new LedgerError('invalid_cursor', 'cursor is not one returned by this API');
  if (typeof cursor !== 'string' || cursor.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid;
  const { v, t, p } = decoded as Record<string, unknown>;
  if (v !== 1 || typeof t !== 'string' || !BOOKED_AT_SHAPE.test(t) || !isId('pst', p)) throw invalid;
  // The shape alone lets through impossible instants (Feb 30, hour 99): the canonical form must read back as itself.
  if (!isCanonicalInstant(t)) throw invalid;
  return { bookedAt: t, postingId: p };
}

function isCanonicalInstant(value: string): boolean {
  try {
    return toUtcMicros('cursor', value) === value;
  } catch {
    return false;
  }
}
