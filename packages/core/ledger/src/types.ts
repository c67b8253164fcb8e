/** Timestamps leave the ledger as RFC 3339 strings in UTC with microseconds: `2026-11-29T21:23:37.123456Z`. */
export type Rfc3339 = string;

/** `current` and `savings` belong to users; `funding` is the per-currency system account that books opening balances. */
export type AccountType = 'current' | 'savings' | 'funding';

/** An account. Amounts in minor units of `currency`. */
export interface Account {
  id: string;
  /** The OAuth `sub` of the owner; null only for funding accounts. */
  ownerSubject: string | null;
  name: string;
  type: AccountType;
  /** ISO 4217 code. */
  currency: string;
  /** Current balance in minor units; negative only when `allowOverdraft`. */
  balanceMinor: bigint;
  allowOverdraft: boolean;
  createdAt: Rfc3339;
}

/** A completed transfer: immutable. */
export interface Transfer {
  id: string;
  kind: 'transfer' | 'opening_balance';
  sourceAccountId: string;
  destinationAccountId: string;
  /** Minor units, > 0. */
  amountMinor: bigint;
  currency: string;
  description: string | null;
  /** The OAuth client that asked for it; null for system bookings. */
  clientId: string | null;
  status: 'completed';
  /** Equals the `bookedAt` of both of its postings. */
  createdAt: Rfc3339;
}

/** One side of a transfer as seen from one account (a line of the account's history). */
export interface Posting {
  id: string;
  transferId: string;
  accountId: string;
  /** `debit`: money left the account; `credit`: money arrived. */
  direction: 'debit' | 'credit';
  /** Minor units, always > 0; `direction` carries the sign. */
  amountMinor: bigint;
  currency: string;
  /** The account's balance right after this posting, minor units. */
  balanceAfterMinor: bigint;
  /** The other account of the transfer. */
  counterpartyAccountId: string;
  description: string | null;
  bookedAt: Rfc3339;
}

/** A request to move money between two accounts of one currency. */
export interface TransferRequest {
  sourceAccountId: string;
  destinationAccountId: string;
  /** Minor units, > 0 (use `parseAmount` on wire input). */
  amountMinor: bigint;
  /** ISO 4217; must equal both accounts' currency. */
  currency: string;
  /** Free text up to 140 characters, no control characters. */
  description?: string | null;
}
