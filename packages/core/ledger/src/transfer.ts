import type { Knex } from 'knex';
import { settle } from './book-transfer.ts';
import type { StoredOutcome } from './book-transfer.ts';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import { IDEMPOTENCY_TTL_SECONDS, checkIdempotencyKey, requestHash } from './idempotency.ts';
import { isId, newId } from './ids.ts';
import { retryAborted } from './retry.ts';
import type { RetryOptions } from './retry.ts';
import { TRANSFER_COLUMNS, toTransfer } from './rows.ts';
import type { TransferRow } from './rows.ts';
import type { Transfer, TransferRequest } from './types.ts';
import { checkShortText, checkTransferRequest } from './validate.ts';

/**
 * A condition the database evaluates in the same statement, before anything of the transfer: a SQL
 * expression of type text, with `?` placeholders for `bindings`. NULL lets the transfer go ahead;
 * any other value stops it (nothing is written, no idempotency key is looked at) and
 * {@link transfer} throws {@link TransferGuardRefusal} carrying that value. The resource API checks
 * the grant behind the access token this way, without a round trip of its own.
 */
export interface TransferGuard {
  sql: string;
  bindings: readonly Knex.Value[];
}

/** Thrown by {@link transfer} when its {@link TransferGuard} answered a refusal. */
export class TransferGuardRefusal extends Error {
  /** What the guard expression answered. */
  readonly refusal: string;

  constructor(refusal: string) {
    super(`transfer refused by its guard: ${refusal}`);
    this.name = 'TransferGuardRefusal';
    this.refusal = refusal;
  }
}

/** Options of {@link transfer}. */
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
  /** Checked first, in the same statement: see {@link TransferGuard}. */
  guard?: TransferGuard;
  /** Bounds of the retry on serialization failures and deadlocks. */
  retry?: RetryOptions;
}

/** Result of {@link transfer}. */
export interface TransferResult {
  transfer: Transfer;
  /** True when this is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
}

/** What `ledger.post_transfer` answers (migration 20261130_02). */
type PostTransferAnswer =
  | { outcome: StoredOutcome; replayed: boolean }
  | { refused: { code: LedgerErrorCode; message: string } };

/**
 * Moves money between two accounts of one currency with one SQL statement, its own database
 * transaction (the function `ledger.post_transfer`, see migration 20261130_02): guard, owner check,
 * idempotency and booking in one round trip. Serialization failures and deadlocks are retried a
 * bounded number of times.
 *
 * With an idempotency key, the first call for `(clientId, subject, key)` executes and its outcome (the
 * transfer, or a refusal such as `insufficient_funds`) is stored for 24 h, committed together with
 * the transfer; a later call with the same request gets that outcome back (`replayed: true`, or
 * the same error thrown again, marked `replayed`). A call while another with the same key is
 * executing is refused at once with `idempotency_key_in_flight`. Input errors found before
 * execution are not stored.
 *
 * @throws {LedgerError} `invalid_amount`, `unsupported_currency`, `invalid_request`, `same_account`,
 *   `account_not_found`, `currency_mismatch`, `insufficient_funds`, `balance_out_of_range`,
 *   `ledger_busy`, `idempotency_key_reused`, `idempotency_key_in_flight`
 * @throws {TransferGuardRefusal} when `options.guard` answered a refusal
 */
export async function transfer(db: Knex, request: TransferRequest, options: TransferOptions = {}): Promise<TransferResult> {
  const checked = checkTransferRequest(request);
  const clientId = options.clientId === undefined ? null : checkShortText('client id', options.clientId);
  const subject = options.subject === undefined ? null : checkShortText('subject', options.subject);
  const key = options.idempotencyKey === undefined ? null : checkIdempotencyKey(options.idempotencyKey);
  if (key !== null && (clientId === null || subject === null)) {
    throw new LedgerError('invalid_request', 'an idempotency key needs a client id and a subject');
  }
  const owner = options.sourceOwnerSubject === undefined ? null : checkShortText('owner subject', options.sourceOwnerSubject);
  const post = `ledger.post_transfer(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::bigint, ?, ?)`;
  const postBindings: Knex.Value[] = [
    clientId, subject ?? '', key, key === null ? null : requestHash(checked), IDEMPOTENCY_TTL_SECONDS, owner,
    newId('tr'), newId('pst'), newId('pst'),
    checked.sourceAccountId, checked.destinationAccountId, checked.amountMinor.toString(), checked.currency, checked.description,
  ];
  // OFFSET 0 keeps the guard in its own subquery, evaluated once; CASE never calls the function when it refuses.
  const [sql, bindings] = options.guard === undefined
    ? [`SELECT NULL::text AS refusal, ${post} AS answer`, postBindings]
    : [`SELECT g.refusal, CASE WHEN g.refusal IS NULL THEN ${post} END AS answer
         FROM (SELECT (${options.guard.sql})::text AS refusal OFFSET 0) g`, [...postBindings, ...options.guard.bindings]];
  const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ refusal: string | null; answer: PostTransferAnswer | null }> }>(sql, bindings), options.retry);
  const row = rows[0];
  if (row?.refusal != null) throw new TransferGuardRefusal(row.refusal);
  const answer = row?.answer;
  if (!answer) throw new Error('ledger.post_transfer answered nothing');
  if ('refused' in answer) throw new LedgerError(answer.refused.code, answer.refused.message);
  return { transfer: settle(answer.outcome, answer.replayed), replayed: answer.replayed };
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
