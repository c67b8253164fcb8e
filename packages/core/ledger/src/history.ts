import type { Knex } from 'knex';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { LedgerError } from './errors.ts';
import { isId } from './ids.ts';
import { toPosting } from './rows.ts';
import type { PostingRow } from './rows.ts';
import { rfc3339 } from './sql.ts';
import { toUtcMicros } from './timestamps.ts';
import type { Posting } from './types.ts';

/** Page sizes: 1 to 100 rows, 20 when not given. */
export const HISTORY_LIMIT_DEFAULT = 20;
export const HISTORY_LIMIT_MAX = 100;

/** Query of {@link listPostings}. */
export interface HistoryQuery {
  accountId: string;
  /** Rows per page, integer 1..100. Default 20. */
  limit?: number;
  /** `nextCursor` of the page before; absent for the first page. */
  cursor?: string | null;
  /** RFC 3339 with offset; postings booked at or after it (inclusive). */
  from?: string;
  /** RFC 3339 with offset; postings booked before it (exclusive). */
  to?: string;
}

/** One page of history. */
export interface HistoryPage {
  /** Newest first: by `bookedAt`, then by posting id, both descending. */
  data: Posting[];
  /** Opaque; pass it back for the next (older) page. Null on the last page. */
  nextCursor: string | null;
}

/**
 * An account's postings, newest first, with keyset pagination on (`booked_at`, `id`): each page
 * continues strictly after the last row of the one before, so rows booked meanwhile (always newer)
 * cause neither gaps nor duplicates, and rows sharing a timestamp are split cleanly between pages.
 *
 * @throws {LedgerError} `account_not_found`, `invalid_request` (limit, from, to), `invalid_cursor`
 */
export async function listPostings(db: Knex, query: HistoryQuery): Promise<HistoryPage> {
  const limit = query.limit ?? HISTORY_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMIT_MAX) {
    throw new LedgerError('invalid_request', `limit must be an integer from 1 to ${HISTORY_LIMIT_MAX}`);
  }
  if (!isId('acc', query.accountId)) throw new LedgerError('account_not_found', 'account not found');
  // Funding (system) accounts have no history to show: as if absent.
  const conditions = [`p.account_id = ?`, `EXISTS (SELECT 1 FROM ledger.accounts a WHERE a.id = p.account_id AND a.type <> 'funding')`];
  const bindings: Array<string | number> = [query.accountId];
  const from = query.from === undefined ? undefined : toUtcMicros('from', query.from);
  const to = query.to === undefined ? undefined : toUtcMicros('to', query.to);
  // Same fixed-width UTC form on both sides: text order is time order.
  if (from !== undefined && to !== undefined && from > to) {
    throw new LedgerError('invalid_request', 'from must not be later than to');
  }
  if (from !== undefined) {
    conditions.push('p.booked_at >= ?::timestamptz');
    bindings.push(from);
  }
  if (to !== undefined) {
    conditions.push('p.booked_at < ?::timestamptz');
    bindings.push(to);
  }
  if (query.cursor !== undefined && query.cursor !== null) {
    const position = decodeCursor(query.cursor);
    conditions.push('(p.booked_at, p.id) < (?::timestamptz, ?)');
    bindings.push(position.bookedAt, position.postingId);
  }
  const { rows } = await db.raw<{ rows: PostingRow[] }>(
    `SELECT p.id, p.transfer_id, p.account_id, p.amount_minor, p.balance_after_minor, t.currency,
            CASE WHEN p.amount_minor < 0 THEN t.destination_account_id ELSE t.source_account_id END AS counterparty_account_id,
            t.description, ${rfc3339('p.booked_at')} AS booked_at
       FROM ledger.postings p JOIN ledger.transfers t ON t.id = p.transfer_id
      WHERE ${conditions.join(' AND ')}
      ORDER BY p.booked_at DESC, p.id DESC
      LIMIT ?`,
    [...bindings, limit + 1],
  );
  if (rows.length === 0) await assertAccountExists(db, query.accountId);
  const page = rows.slice(0, limit).map(toPosting);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCursor({ bookedAt: last.bookedAt, postingId: last.id }) : null;
  return { data: page, nextCursor };
}

async function assertAccountExists(db: Knex, accountId: string): Promise<void> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `SELECT 1 FROM ledger.accounts WHERE id = ? AND type <> 'funding'`,
    [accountId],
  );
  if (rows.length === 0) throw new LedgerError('account_not_found', 'account not found');
}
