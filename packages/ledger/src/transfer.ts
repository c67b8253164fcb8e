import type { Knex } from 'knex';
import { bookTransfer } from './book-transfer.ts';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import {
  checkIdempotencyKey,
  claimIdempotencyKey,
  completeIdempotencyKey,
  loadTransfer,
  releaseIdempotencyKey,
  requestHash,
  storeTransfer,
} from './idempotency.ts';
import type { IdempotencyClaim, StoredOutcome } from './idempotency.ts';
import { isId } from './ids.ts';
import { withTransactionRetry } from './retry.ts';
import type { RetryOptions } from './retry.ts';
import { TRANSFER_COLUMNS, toTransfer } from './rows.ts';
import type { TransferRow } from './rows.ts';
import type { Transfer, TransferRequest } from './types.ts';
import { checkShortText, checkTransferRequest } from './validate.ts';
import type { CheckedTransferRequest } from './validate.ts';

/** Options of {@link transfer}. */
export interface TransferOptions {
  /** The OAuth client asking; recorded on the transfer, and the scope of `idempotencyKey`. */
  clientId?: string;
  /** Makes the call idempotent per `(clientId, idempotencyKey)` for 24 h; needs `clientId`. */
  idempotencyKey?: string;
  /** Bounds of the retry on serialization failures and deadlocks. */
  retry?: RetryOptions;
}

/** Result of {@link transfer}. */
export interface TransferResult {
  transfer: Transfer;
  /** True when this is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
}

/** Refusals reached while executing: stored under the key and replayed, like a success (Stripe's rule). */
const STORED_REFUSALS: ReadonlySet<LedgerErrorCode> = new Set([
  'account_not_found',
  'currency_mismatch',
  'insufficient_funds',
  'balance_out_of_range',
]);

/**
 * Moves money between two accounts of one currency, in one database transaction (see
 * `bookTransfer`), retrying serialization failures and deadlocks a bounded number of times.
 *
 * With an idempotency key, the first call for `(clientId, key)` executes and its outcome (the
 * transfer, or a refusal such as `insufficient_funds`) is stored for 24 h; a later call with the
 * same request gets that outcome back (`replayed: true`, or the same error thrown again). Input
 * errors found before execution are not stored.
 *
 * @throws {LedgerError} `invalid_amount`, `unsupported_currency`, `invalid_request`, `same_account`,
 *   `account_not_found`, `currency_mismatch`, `insufficient_funds`, `balance_out_of_range`,
 *   `ledger_busy`, `idempotency_key_reused`, `idempotency_key_in_flight`
 */
export async function transfer(db: Knex, request: TransferRequest, options: TransferOptions = {}): Promise<TransferResult> {
  const checked = checkTransferRequest(request);
  const clientId = options.clientId === undefined ? null : checkShortText('client id', options.clientId);
  if (options.idempotencyKey === undefined) {
    const made = await withTransactionRetry(db, (trx) => bookTransfer(trx, { ...checked, kind: 'transfer', clientId }), options.retry);
    return { transfer: made, replayed: false };
  }
  const key = checkIdempotencyKey(options.idempotencyKey);
  if (clientId === null) throw new LedgerError('invalid_request', 'an idempotency key needs a client id');
  const claimed = await claimIdempotencyKey(db, clientId, key, requestHash(checked));
  if ('outcome' in claimed) return { transfer: replay(claimed.outcome), replayed: true };
  return executeClaimed(db, checked, claimed.claim, options.retry);
}

async function executeClaimed(
  db: Knex,
  checked: CheckedTransferRequest,
  claim: IdempotencyClaim,
  retry: RetryOptions | undefined,
): Promise<TransferResult> {
  try {
    const made = await withTransactionRetry(db, async (trx) => {
      const booked = await bookTransfer(trx, { ...checked, kind: 'transfer', clientId: claim.clientId });
      await completeIdempotencyKey(trx, claim, { transfer: storeTransfer(booked) }, booked.id);
      return booked;
    }, retry);
    return { transfer: made, replayed: false };
  } catch (error) {
    if (error instanceof LedgerError && STORED_REFUSALS.has(error.code)) {
      await completeIdempotencyKey(db, claim, { error: { code: error.code, message: error.message } }, null);
    } else {
      await releaseIdempotencyKey(db, claim).catch(() => undefined);
    }
    throw error;
  }
}

function replay(outcome: StoredOutcome): Transfer {
  if ('error' in outcome) throw new LedgerError(outcome.error.code, outcome.error.message, { replayed: true });
  return loadTransfer(outcome.transfer);
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
