import { settle } from './book-transfer.ts';
import type { StoredOutcome } from './book-transfer.ts';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import { IDEMPOTENCY_TTL_SECONDS, checkIdempotencyKey, requestHash } from './idempotency.ts';
import { newId } from './ids.ts';
import type { RetryOptions } from './retry.ts';
import type { Transfer, TransferRequest } from './types.ts';
import { checkShortText, checkTransferRequest } from './validate.ts';

/** Options of `transfer` (transfer.ts) and {@link preparePostTransfer}. */
export interface TransferOptions {
  /** The OAuth client asking; recorded on the transfer, and with `subject` the scope of `idempotencyKey`. */
  clientId?: string;
  /**
   * Whom the client acts for (the OAuth `sub`; a client-credentials call is its own subject): with
   * `clientId` the scope of `idempotencyKey`, so two users of one app never share a key.
   */
  subject?: string;
  /** Makes the call idempotent per `(clientId, subject, idempotencyKey)` for 24 h; needs both. */
  idempotencyKey?: string;
  /**
   * The source must be owned by this subject (OAuth `sub`), else `account_not_found` (not stored
   * under the idempotency key, and checked before it is looked at).
   */
  sourceOwnerSubject?: string;
  /** Bounds of the retry on serialization failures and deadlocks (used by `transfer`; callers of {@link preparePostTransfer} pass it to `retryAborted`). */
  retry?: RetryOptions;
}

/** Result of a transfer. */
export interface TransferResult {
  transfer: Transfer;
  /** True when this is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
}

/**
 * The arguments of the SQL function `ledger.post_transfer` (migration 20261206_05), one field per
 * parameter, checked and ready to bind. Callers pass them by name (`p_client_id => ?, …`), so a
 * parameter added later with a default does not shift the others. The ids are new for this call:
 * bind the same values on every retry of the statement (an aborted attempt wrote nothing).
 */
export interface PostTransferArguments {
  /** `p_client_id`: the OAuth client, recorded on the transfer; null for a system caller (then no idempotency key). */
  readonly clientId: string | null;
  /** `p_subject`: whom the client acts for; `''` when the call has none (then no idempotency key). */
  readonly subject: string;
  /** `p_idempotency_key`: 1 to 255 visible ASCII characters, or null for a call that is not idempotent. */
  readonly idempotencyKey: string | null;
  /** `p_request_hash`: SHA-256 (hex) of the canonical request when there is a key, else null. */
  readonly requestHash: string | null;
  /** `p_ttl_seconds`: how long the idempotency record replays, in seconds (24 h). */
  readonly ttlSeconds: number;
  /** `p_source_owner`: the subject that must own the source, or null for no owner check. */
  readonly sourceOwner: string | null;
  /** `p_transfer_id`: `tr_…`, the id the transfer gets when it is booked. */
  readonly transferId: string;
  /** `p_debit_posting_id`: `pst_…` of the source's posting. */
  readonly debitPostingId: string;
  /** `p_credit_posting_id`: `pst_…` of the destination's posting. */
  readonly creditPostingId: string;
  /** `p_source`: `acc_…`, the account debited. */
  readonly sourceAccountId: string;
  /** `p_destination`: `acc_…`, the account credited. */
  readonly destinationAccountId: string;
  /** `p_amount`: minor units, > 0, as a decimal string (bind it as `::bigint`: a JavaScript number would lose digits). */
  readonly amountMinor: string;
  /** `p_currency`: ISO 4217 code. */
  readonly currency: string;
  /** `p_description`: up to 140 characters, or null. */
  readonly description: string | null;
}

/**
 * What `ledger.post_transfer` answers (jsonb): the outcome, fresh or replayed (a stored refusal
 * such as `insufficient_funds` is an outcome too), or a refusal that is not stored (owner
 * mismatch, key in flight, key reused).
 */
export type PostTransferAnswer =
  | { outcome: StoredOutcome; replayed: boolean }
  | { refused: { code: LedgerErrorCode; message: string } };

/**
 * Checks a transfer request and its options without the database and prepares the arguments of
 * one `ledger.post_transfer` call: new transfer and posting ids, the request hash under an
 * idempotency key, the record's lifetime. `transfer` (transfer.ts) calls the function with them; a
 * service that must check something of its own in the same statement calls it, by parameter name,
 * from a SQL function in its own schema with the same values, and reads the answer with
 * {@link postTransferResult}. docs/ledger.md, "One round trip per transfer" and "Idempotency".
 *
 * @param request amounts in minor units (bigint)
 * @returns the arguments, ids new for this call
 * @throws {LedgerError} `invalid_amount`, `unsupported_currency`, `invalid_request` (description,
 *   client id, subject or key malformed; a key without a client id and a subject), `account_not_found`
 *   (an id that cannot exist), `same_account`
 */
export function preparePostTransfer(request: TransferRequest, options: TransferOptions = {}): PostTransferArguments {
  const checked = checkTransferRequest(request);
  const clientId = options.clientId === undefined ? null : checkShortText('client id', options.clientId);
  const subject = options.subject === undefined ? null : checkShortText('subject', options.subject);
  const key = options.idempotencyKey === undefined ? null : checkIdempotencyKey(options.idempotencyKey);
  if (key !== null && (clientId === null || subject === null)) {
    throw new LedgerError('invalid_request', 'an idempotency key needs a client id and a subject');
  }
  const owner = options.sourceOwnerSubject === undefined ? null : checkShortText('owner subject', options.sourceOwnerSubject);
  return {
    clientId,
    subject: subject ?? '',
    idempotencyKey: key,
    requestHash: key === null ? null : requestHash(checked),
    ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
    sourceOwner: owner,
    transferId: newId('tr'),
    debitPostingId: newId('pst'),
    creditPostingId: newId('pst'),
    sourceAccountId: checked.sourceAccountId,
    destinationAccountId: checked.destinationAccountId,
    amountMinor: checked.amountMinor.toString(),
    currency: checked.currency,
    description: checked.description,
  };
}

/**
 * Reads what `ledger.post_transfer` answered: the transfer, or its refusal thrown. A refusal
 * stored under the idempotency key and replayed is thrown marked `replayed`.
 *
 * @param answer the function's jsonb answer as the driver parsed it
 * @returns the transfer (`amountMinor` as bigint, timestamps RFC 3339 with microseconds) and whether it was replayed
 * @throws {LedgerError} `account_not_found`, `currency_mismatch`, `insufficient_funds`,
 *   `balance_out_of_range`, `idempotency_key_reused`, `idempotency_key_in_flight`
 * @throws {Error} when there is no answer at all (a bug: the function always answers)
 */
export function postTransferResult(answer: PostTransferAnswer | null | undefined): TransferResult {
  if (!answer) throw new Error('ledger.post_transfer answered nothing');
  if ('refused' in answer) throw new LedgerError(answer.refused.code, answer.refused.message);
  return { transfer: settle(answer.outcome, answer.replayed), replayed: answer.replayed };
}

/**
 * One element of the `p_items` array of the SQL function `ledger.post_transfers` (migration
 * 20261209_09): the arguments of one `ledger.post_transfer` call under its parameter names without
 * `p_`, `amount` a decimal string of minor units (JSON numbers would lose digits past 2^53).
 */
export interface PostTransfersItem {
  client_id: string | null;
  subject: string;
  idempotency_key: string | null;
  request_hash: string | null;
  ttl_seconds: number;
  source_owner: string | null;
  transfer_id: string;
  debit_posting_id: string;
  credit_posting_id: string;
  source: string;
  destination: string;
  amount: string;
  currency: string;
  description: string | null;
}

/**
 * The `ledger.post_transfers` item of one prepared transfer (see {@link preparePostTransfer}).
 * Each element of the function's answer is a {@link PostTransferAnswer}, read with
 * {@link postTransferResult}. docs/ledger.md, "Booking in batches".
 */
export function toPostTransfersItem(args: PostTransferArguments): PostTransfersItem {
  return {
    client_id: args.clientId,
    subject: args.subject,
    idempotency_key: args.idempotencyKey,
    request_hash: args.requestHash,
    ttl_seconds: args.ttlSeconds,
    source_owner: args.sourceOwner,
    transfer_id: args.transferId,
    debit_posting_id: args.debitPostingId,
    credit_posting_id: args.creditPostingId,
    source: args.sourceAccountId,
    destination: args.destinationAccountId,
    amount: args.amountMinor,
    currency: args.currency,
    description: args.description,
  };
}
