import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import { newId } from './ids.ts';
import type { Transfer } from './types.ts';
import type { CheckedTransferRequest } from './validate.ts';

/** What {@link bookTransfer} writes: a checked request plus who asked and why. */
export interface Booking extends CheckedTransferRequest {
  kind: Transfer['kind'];
  clientId: string | null;
}

/**
 * Which clock stamps the transfer and its postings. `clock` (the default) reads the time after
 * the accounts are locked, so an account's postings are stamped in the order they were booked
 * and history order agrees with `balance_after`. `transaction` uses the transaction's start time,
 * so several bookings in one transaction share one timestamp.
 */
export type BookingClock = 'clock' | 'transaction';

/** A transfer as the SQL functions write it to JSON: `amountMinor` as a decimal string of minor units. */
export type StoredTransfer = Omit<Transfer, 'amountMinor'> & { amountMinor: string };

/** What `ledger.book_transfer` answers (migration 20261130_02), and what an idempotency record replays. */
export type StoredOutcome =
  | { transfer: StoredTransfer }
  | { error: { code: LedgerErrorCode; message: string } };

/**
 * Books one transfer inside the caller's transaction with one statement, the SQL function
 * `ledger.book_transfer` (migration 20261130_02): locks both accounts `FOR UPDATE` in ascending id
 * order, checks kinds, currency, funds and the bigint range, writes the transfer, one debit and one
 * credit posting with their `balance_after`, and moves both balances. The database re-checks at
 * commit that the postings balance.
 *
 * Funding (system) accounts are invisible to ordinary transfers; an `opening_balance` booking
 * must come from one.
 *
 * @returns the transfer, timestamps with microseconds
 * @throws {LedgerError} `account_not_found`, `currency_mismatch`, `insufficient_funds`,
 *   `balance_out_of_range`; database errors as they are (the caller retries 40001/40P01)
 */
export async function bookTransfer(trx: Knex.Transaction, booking: Booking, clock: BookingClock = 'clock'): Promise<Transfer> {
  const { rows } = await trx.raw<{ rows: Array<{ outcome: StoredOutcome }> }>(
    'SELECT ledger.book_transfer(?, ?, ?, ?, ?, ?, ?::bigint, ?, ?, ?, ?) AS outcome',
    [booking.kind, newId('tr'), newId('pst'), newId('pst'), booking.sourceAccountId, booking.destinationAccountId,
      booking.amountMinor.toString(), booking.currency, booking.description, booking.clientId, clock === 'transaction'],
  );
  return settle((rows[0] as { outcome: StoredOutcome }).outcome, false);
}

/**
 * The transfer of a stored or fresh outcome, or its refusal thrown.
 *
 * @throws {LedgerError} the stored refusal, marked `replayed` when it is one
 */
export function settle(outcome: StoredOutcome, replayed: boolean): Transfer {
  if ('error' in outcome) throw new LedgerError(outcome.error.code, outcome.error.message, { replayed });
  return { ...outcome.transfer, amountMinor: BigInt(outcome.transfer.amountMinor) };
}
