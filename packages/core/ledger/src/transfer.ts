import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { isId } from './ids.ts';
import { postTransferResult, preparePostTransfer } from './post-transfer.ts';
import type { PostTransferAnswer, TransferOptions, TransferResult } from './post-transfer.ts';
import { retryAborted } from './retry.ts';
import { TRANSFER_COLUMNS, toTransfer } from './rows.ts';
import type { TransferRow } from './rows.ts';
import type { Transfer, TransferRequest } from './types.ts';

/**
 * Moves money between two accounts of one currency with one SQL statement, its own database
 * transaction (the function `ledger.post_transfer`, migrations 20261130_02 and 20261206_05): owner
 * check, idempotency and booking in one round trip (docs/ledger.md, "One round trip per transfer").
 * Serialization failures and deadlocks are retried a bounded number of times.
 *
 * With an idempotency key, the first call for `(clientId, subject, key)` executes and its outcome (the
 * transfer, or a refusal such as `insufficient_funds`) is stored for 24 h, committed together with
 * the transfer; a later call with the same request gets that outcome back (`replayed: true`, or
 * the same error thrown again, marked `replayed`). A call while another with the same key is
 * executing is refused at once with `idempotency_key_in_flight`. Input errors found before
 * execution are not stored.
 *
 * Built on {@link preparePostTransfer} and {@link postTransferResult}, which a caller composing the
 * call with checks of its own in one statement uses the same way.
 *
 * @param request amounts in minor units (bigint)
 * @returns the transfer and whether it was replayed
 * @throws {LedgerError} `invalid_amount`, `unsupported_currency`, `invalid_request`, `same_account`,
 *   `account_not_found`, `currency_mismatch`, `insufficient_funds`, `balance_out_of_range`,
 *   `ledger_busy`, `idempotency_key_reused`, `idempotency_key_in_flight`
 */
export async function transfer(db: Knex, request: TransferRequest, options: TransferOptions = {}): Promise<TransferResult> {
  const args = preparePostTransfer(request, options);
  const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ answer: PostTransferAnswer }> }>(
    `SELECT ledger.post_transfer(p_client_id => ?, p_subject => ?, p_idempotency_key => ?, p_request_hash => ?,
       p_ttl_seconds => ?, p_source_owner => ?, p_transfer_id => ?, p_debit_posting_id => ?, p_credit_posting_id => ?,
       p_source => ?, p_destination => ?, p_amount => ?::bigint, p_currency => ?, p_description => ?) AS answer`,
    [args.clientId, args.subject, args.idempotencyKey, args.requestHash, args.ttlSeconds, args.sourceOwner,
      args.transferId, args.debitPostingId, args.creditPostingId,
      args.sourceAccountId, args.destinationAccountId, args.amountMinor, args.currency, args.description],
  ), options.retry);
  return postTransferResult(rows[0]?.answer);
}

/**
 * @returns the transfer (opening-balance bookings included)
 * @throws {LedgerError} `transfer_not_found`
 */
export async function getTransfer(db: Knex, transferId: string): Promise<Transfer> {
  if (!isId('tr', transferId)) throw new LedgerError('transfer_not_found', 'transfer not found');
  const { rows } = await db.raw<{ rows: TransferRow[] }>(`SELECT ${TRANSFER_COLUMNS} FROM ledger.transfers WHERE id = ?`, [transferId]);
  const row = rows[0];
  if (!row) throw new LedgerError('transfer_not_found', 'transfer not found');
  return toTransfer(row);
}
