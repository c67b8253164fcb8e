import { auditLedger, parseAmount } from '@payapi/ledger';
import type { LedgerAudit } from '@payapi/ledger';
import type { Knex } from 'knex';

/** Money per currency, minor units: all accounts (funding accounts included) and user accounts only. */
export interface CurrencyTotals {
  /** Sum of every balance: zero, since every unit issued to a user is owed by the funding account. */
  allMinor: bigint;
  /** Sum of the balances of accounts that belong to a user (funding accounts left out). */
  usersMinor: bigint;
}

/**
 * Reads money per currency straight from `ledger.accounts`.
 *
 * @returns currency → totals
 */
export async function currencyTotals(db: Knex): Promise<Record<string, CurrencyTotals>> {
  const { rows } = await db.raw<{ rows: Array<{ currency: string; all_minor: string; users_minor: string }> }>(`
    SELECT currency, sum(balance_minor)::text AS all_minor,
           coalesce(sum(balance_minor) FILTER (WHERE owner_subject IS NOT NULL), 0)::text AS users_minor
      FROM ledger.accounts GROUP BY currency ORDER BY currency`);
  return Object.fromEntries(rows.map((row) => [row.currency, { allMinor: BigInt(row.all_minor), usersMinor: BigInt(row.users_minor) }]));
}

/**
 * Double entry checked independently of the ledger's own audit: every transfer must have exactly
 * two postings, a debit of `-amount` on its source and a credit of `+amount` on its destination,
 * in its currency's accounts.
 *
 * @returns the transfers that break it (empty when the books are right)
 */
export async function unbalancedTransfers(db: Knex): Promise<Array<Record<string, string>>> {
  const { rows } = await db.raw<{ rows: Array<Record<string, string>> }>(`
    SELECT t.id, count(p.id)::text AS postings, coalesce(sum(p.amount_minor), 0)::text AS total
      FROM ledger.transfers t
      LEFT JOIN ledger.postings p ON p.transfer_id = t.id
      LEFT JOIN ledger.accounts a ON a.id = p.account_id
     GROUP BY t.id, t.amount_minor, t.source_account_id, t.destination_account_id, t.currency
    HAVING count(p.id) <> 2
        OR coalesce(sum(p.amount_minor), 0) <> 0
        OR count(*) FILTER (WHERE p.account_id = t.source_account_id AND p.amount_minor = -t.amount_minor) <> 1
        OR count(*) FILTER (WHERE p.account_id = t.destination_account_id AND p.amount_minor = t.amount_minor) <> 1
        OR count(*) FILTER (WHERE a.currency <> t.currency) <> 0`);
  return rows;
}

/** What the ledger's own audit (`auditLedger`) found wrong; every list empty when the books are right. */
export async function auditFindings(db: Knex): Promise<Omit<LedgerAudit, 'accounts' | 'transfers'> & { transfers: number }> {
  const audit = await auditLedger(db);
  return {
    transfers: audit.transfers,
    unbalancedTransfers: audit.unbalancedTransfers,
    wrongBalances: audit.wrongBalances,
    negativeBalances: audit.negativeBalances,
  };
}

/** Balances of the given accounts, minor units. */
export async function balancesOf(db: Knex, accountIds: readonly string[]): Promise<Map<string, bigint>> {
  const rows = await db('ledger.accounts').whereIn('id', accountIds).select<Array<{ id: string; balance_minor: string }>>('id', 'balance_minor');
  return new Map(rows.map((row) => [row.id, BigInt(row.balance_minor)]));
}

/** A transfer as the API answered it (wire form: decimal string amount). */
export interface WireTransfer {
  id: string;
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
}

/**
 * The balances the books must show: `opening` with every transfer of `transfers` applied once.
 *
 * @param opening account id → balance before, minor units
 */
export function expectedBalances(opening: ReadonlyMap<string, bigint>, transfers: Iterable<WireTransfer>): Map<string, bigint> {
  const balances = new Map(opening);
  for (const made of transfers) {
    const amountMinor = parseAmount(made.amount, made.currency);
    balances.set(made.source_account_id, (balances.get(made.source_account_id) ?? 0n) - amountMinor);
    balances.set(made.destination_account_id, (balances.get(made.destination_account_id) ?? 0n) + amountMinor);
  }
  return balances;
}

/** A transfer as stored in `ledger.transfers`. */
export interface StoredTransfer {
  id: string;
  source_account_id: string;
  destination_account_id: string;
  amount_minor: bigint;
  currency: string;
}

/** Transfers booked for one OAuth client (kind `transfer`), by id. */
export async function transfersOfClient(db: Knex, clientId: string): Promise<Map<string, StoredTransfer>> {
  const { rows } = await db.raw<{ rows: Array<Omit<StoredTransfer, 'amount_minor'> & { amount_minor: string }> }>(`
    SELECT id, source_account_id, destination_account_id, amount_minor::text, currency
      FROM ledger.transfers WHERE client_id = ? AND kind = 'transfer'`, [clientId]);
  return new Map(rows.map((row) => [row.id, { ...row, amount_minor: BigInt(row.amount_minor) }]));
}
