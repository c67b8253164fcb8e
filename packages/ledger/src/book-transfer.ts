import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { newId } from './ids.ts';
import { TRANSFER_COLUMNS, toTransfer } from './rows.ts';
import type { TransferRow } from './rows.ts';
import { NUMERIC_OUT_OF_RANGE, sqlState } from './sql.ts';
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

interface LockedAccount {
  id: string;
  type: string;
  currency: string;
  balance_minor: string;
  allow_overdraft: boolean;
}

/**
 * Books one transfer inside the caller's transaction: locks both accounts `FOR UPDATE` in
 * ascending id order (so A->B and B->A never deadlock), checks currency and funds, writes the
 * transfer, one debit and one credit posting with their `balance_after`, and moves both balances.
 * The database re-checks at commit that the postings balance.
 *
 * Funding (system) accounts are invisible to ordinary transfers; an `opening_balance` booking
 * must come from one.
 *
 * @returns the transfer, timestamps with microseconds
 * @throws {LedgerError} `account_not_found`, `currency_mismatch`, `insufficient_funds`,
 *   `balance_out_of_range`; database errors as they are (the caller retries 40001/40P01)
 */
export async function bookTransfer(trx: Knex.Transaction, booking: Booking, clock: BookingClock = 'clock'): Promise<Transfer> {
  const { sourceAccountId, destinationAccountId, amountMinor, currency } = booking;
  // ORDER BY under FOR UPDATE: rows are locked in the sorted order, lowest id first.
  const { rows } = await trx.raw<{ rows: LockedAccount[] }>(
    `SELECT id, type, currency, balance_minor, allow_overdraft FROM ledger.accounts
      WHERE id IN (?, ?) ORDER BY id FOR UPDATE`,
    [sourceAccountId, destinationAccountId],
  );
  const source = rows.find((row) => row.id === sourceAccountId);
  const destination = rows.find((row) => row.id === destinationAccountId);
  const sourceMustBeFunding = booking.kind === 'opening_balance';
  if (!source || (source.type === 'funding') !== sourceMustBeFunding) {
    throw new LedgerError('account_not_found', 'source account not found');
  }
  if (!destination || destination.type === 'funding') {
    throw new LedgerError('account_not_found', 'destination account not found');
  }
  if (source.currency !== currency || destination.currency !== currency) {
    // Names the transfer's currency only: the destination may be someone else's account.
    throw new LedgerError('currency_mismatch', `both accounts must hold ${currency}, the currency of the transfer`);
  }
  const sourceBalance = BigInt(source.balance_minor);
  if (!source.allow_overdraft && sourceBalance < amountMinor) {
    throw new LedgerError('insufficient_funds', 'the source account balance is lower than the amount');
  }
  try {
    return await writeBooking(trx, booking, clock);
  } catch (error) {
    if (sqlState(error) === NUMERIC_OUT_OF_RANGE) {
      throw new LedgerError('balance_out_of_range', 'the transfer would take a balance out of the representable range');
    }
    throw error;
  }
}

async function writeBooking(trx: Knex.Transaction, booking: Booking, clock: BookingClock): Promise<Transfer> {
  const transferId = newId('tr');
  const stamp = clock === 'clock' ? 'clock_timestamp()' : 'now()';
  const inserted = await trx.raw<{ rows: TransferRow[] }>(
    `INSERT INTO ledger.transfers
       (id, kind, source_account_id, destination_account_id, amount_minor, currency, description, client_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${stamp})
     RETURNING ${TRANSFER_COLUMNS}`,
    [transferId, booking.kind, booking.sourceAccountId, booking.destinationAccountId, booking.amountMinor.toString(),
      booking.currency, booking.description, booking.clientId],
  );
  const transfer = toTransfer(inserted.rows[0] as TransferRow);
  const amount = booking.amountMinor.toString();
  const balances = await trx.raw<{ rows: Array<{ id: string; balance_minor: string }> }>(
    `UPDATE ledger.accounts
        SET balance_minor = balance_minor + CASE WHEN id = ? THEN -(?::bigint) ELSE ?::bigint END
      WHERE id IN (?, ?)
      RETURNING id, balance_minor`,
    [booking.sourceAccountId, amount, amount, booking.sourceAccountId, booking.destinationAccountId],
  );
  const balanceAfter = (accountId: string): string => {
    const row = balances.rows.find((candidate) => candidate.id === accountId);
    if (!row) throw new Error(`ledger invariant: locked account ${accountId} was not updated`);
    return row.balance_minor;
  };
  await trx.raw(
    `INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
     VALUES (?, ?, ?, -(?::bigint), ?, ?::timestamptz), (?, ?, ?, ?::bigint, ?, ?::timestamptz)`,
    [
      newId('pst'), transferId, booking.sourceAccountId, amount, balanceAfter(booking.sourceAccountId), transfer.createdAt,
      newId('pst'), transferId, booking.destinationAccountId, amount, balanceAfter(booking.destinationAccountId), transfer.createdAt,
    ],
  );
  return transfer;
}
