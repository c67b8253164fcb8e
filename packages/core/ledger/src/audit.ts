import type { Knex } from 'knex';

/** What {@link auditLedger} found. Every list is empty when the books are right. */
export interface LedgerAudit {
  /** Accounts and transfers examined. */
  accounts: number;
  transfers: number;
  /** Transfers without exactly two postings summing to zero: `{ id, postings, total }`. */
  unbalancedTransfers: Array<{ id: string; postings: string; total: string }>;
  /** Accounts whose stored balance differs from the sum of their postings or from their last `balance_after`. */
  wrongBalances: Array<{ id: string; balance_minor: string; postings_total: string | null; last_balance_after: string | null }>;
  /** Accounts without overdraft below zero. */
  negativeBalances: Array<{ id: string; balance_minor: string }>;
}

/**
 * Audits the whole ledger straight from its tables, the way an auditor would: per transfer, its
 * postings and their sum; per account, the stored balance against the sum of its postings and the
 * last `balance_after` (newest by `booked_at`, then id); every balance without overdraft against zero.
 * Reads everything: for tests and for the operator CLI, not for request paths.
 */
export async function auditLedger(db: Knex): Promise<LedgerAudit> {
  return db.transaction(async (trx) => {
    const counts = await trx.raw<{ rows: Array<{ accounts: string; transfers: string }> }>(
      `SELECT (SELECT count(*) FROM ledger.accounts) AS accounts, (SELECT count(*) FROM ledger.transfers) AS transfers`);
    const unbalanced = await trx.raw<{ rows: LedgerAudit['unbalancedTransfers'] }>(`
      SELECT t.id, count(p.id)::text AS postings, coalesce(sum(p.amount_minor), 0)::text AS total
        FROM ledger.transfers t LEFT JOIN ledger.postings p ON p.transfer_id = t.id
       GROUP BY t.id HAVING count(p.id) <> 2 OR coalesce(sum(p.amount_minor), 0) <> 0`);
    const wrong = await trx.raw<{ rows: LedgerAudit['wrongBalances'] }>(`
      SELECT a.id, a.balance_minor::text, s.total::text AS postings_total, l.balance_after_minor::text AS last_balance_after
        FROM ledger.accounts a
        LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger.postings GROUP BY account_id) s ON s.account_id = a.id
        LEFT JOIN LATERAL (SELECT balance_after_minor FROM ledger.postings p WHERE p.account_id = a.id
                            ORDER BY booked_at DESC, id DESC LIMIT 1) l ON true
       WHERE a.balance_minor <> coalesce(s.total, 0) OR a.balance_minor <> coalesce(l.balance_after_minor, 0)`);
    const negative = await trx.raw<{ rows: LedgerAudit['negativeBalances'] }>(
      `SELECT id, balance_minor::text FROM ledger.accounts WHERE NOT allow_overdraft AND balance_minor < 0`);
    return {
      accounts: Number(counts.rows[0]?.accounts),
      transfers: Number(counts.rows[0]?.transfers),
      unbalancedTransfers: unbalanced.rows,
      wrongBalances: wrong.rows,
      negativeBalances: negative.rows,
    };
  }, { isolationLevel: 'repeatable read', readOnly: true });
}
