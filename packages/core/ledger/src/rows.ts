import type { Account, AccountType, Posting, Transfer } from './types.ts';
import { rfc3339 } from './sql.ts';

/** Columns selected for an {@link Account}; pair with {@link toAccount}. */
export const ACCOUNT_COLUMNS = `id, owner_subject, name, type, currency, balance_minor, allow_overdraft, ${rfc3339('created_at')} AS created_at`;

/** Columns selected for a {@link Transfer}; pair with {@link toTransfer}. */
export const TRANSFER_COLUMNS = `id, kind, source_account_id, destination_account_id, amount_minor, currency, description, client_id, ${rfc3339('created_at')} AS created_at`;

/** A row of `ledger.accounts` as pg returns it (bigint columns as decimal strings). */
export interface AccountRow {
  id: string;
  owner_subject: string | null;
  name: string;
  type: AccountType;
  currency: string;
  balance_minor: string;
  allow_overdraft: boolean;
  created_at: string;
}

/** A row of `ledger.transfers` as pg returns it. */
export interface TransferRow {
  id: string;
  kind: Transfer['kind'];
  source_account_id: string;
  destination_account_id: string;
  amount_minor: string;
  currency: string;
  description: string | null;
  client_id: string | null;
  created_at: string;
}

/** A posting joined with its transfer (currency, counterparty, description), as pg returns it. */
export interface PostingRow {
  id: string;
  transfer_id: string;
  account_id: string;
  amount_minor: string;
  balance_after_minor: string;
  currency: string;
  counterparty_account_id: string;
  description: string | null;
  booked_at: string;
}

/** Row to {@link Account}; the balance becomes a bigint, never a number. */
export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    ownerSubject: row.owner_subject,
    name: row.name,
    type: row.type,
    currency: row.currency,
    balanceMinor: BigInt(row.balance_minor),
    allowOverdraft: row.allow_overdraft,
    createdAt: row.created_at,
  };
}

/** Row to {@link Transfer}; every stored transfer is `completed`. */
export function toTransfer(row: TransferRow): Transfer {
  return {
    id: row.id,
    kind: row.kind,
    sourceAccountId: row.source_account_id,
    destinationAccountId: row.destination_account_id,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    description: row.description,
    clientId: row.client_id,
    status: 'completed',
    createdAt: row.created_at,
  };
}

/** Row to {@link Posting}: the signed amount becomes `direction` plus a positive `amountMinor`. */
export function toPosting(row: PostingRow): Posting {
  const signed = BigInt(row.amount_minor);
  return {
    id: row.id,
    transferId: row.transfer_id,
    accountId: row.account_id,
    direction: signed < 0n ? 'debit' : 'credit',
    amountMinor: signed < 0n ? -signed : signed,
    currency: row.currency,
    balanceAfterMinor: BigInt(row.balance_after_minor),
    counterpartyAccountId: row.counterparty_account_id,
    description: row.description,
    bookedAt: row.booked_at,
  };
}
