import { formatAmount } from '@payapi/ledger';
import type { Account, Balance, Posting, Transfer } from '@payapi/ledger';

/** `Account` on the wire (docs/resource-api.md). */
export interface WireAccount {
  id: string;
  name: string;
  currency: string;
  type: 'current' | 'savings';
  created_at: string;
}

/**
 * An account for the wire: owner, balance and overdraft stay inside.
 *
 * @throws {Error} for a funding account: the ledger never returns one to a caller (invariant)
 */
export function toWireAccount(account: Account): WireAccount {
  if (account.type === 'funding') throw new Error('invariant: a funding account reached the wire');
  return { id: account.id, name: account.name, currency: account.currency, type: account.type, created_at: account.createdAt };
}

/** A balance for the wire: `amount` a decimal string with the currency's minor digits. */
export function toWireBalance(balance: Balance): { account_id: string; amount: string; currency: string; as_of: string } {
  return {
    account_id: balance.accountId,
    amount: formatAmount(balance.balanceMinor, balance.currency),
    currency: balance.currency,
    as_of: balance.asOf,
  };
}

/** A posting as a `Transaction` line of an account's history. */
export function toWireTransaction(posting: Posting): Record<string, string | null> {
  return {
    id: posting.id,
    transfer_id: posting.transferId,
    account_id: posting.accountId,
    direction: posting.direction,
    amount: formatAmount(posting.amountMinor, posting.currency),
    currency: posting.currency,
    balance_after: formatAmount(posting.balanceAfterMinor, posting.currency),
    counterparty_account_id: posting.counterpartyAccountId,
    description: posting.description,
    booked_at: posting.bookedAt,
  };
}

/** A `Transfer` for the wire (the request's fields plus `id`, `status`, `created_at`). */
export function toWireTransfer(transfer: Transfer): Record<string, string | null> {
  return {
    id: transfer.id,
    source_account_id: transfer.sourceAccountId,
    destination_account_id: transfer.destinationAccountId,
    amount: formatAmount(transfer.amountMinor, transfer.currency),
    currency: transfer.currency,
    description: transfer.description,
    status: transfer.status,
    created_at: transfer.createdAt,
  };
}
