import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { maxAmountMinor } from './amount.ts';
import { settle } from './book-transfer.ts';
import type { StoredTransfer } from './book-transfer.ts';
import { minorUnitExponent } from './currency.ts';
import { LedgerError } from './errors.ts';
import type { LedgerErrorCode } from './errors.ts';
import { IDEMPOTENCY_TTL_SECONDS, checkIdempotencyKey } from './idempotency.ts';
import { isId, newId } from './ids.ts';
import { retryAborted } from './retry.ts';
import type { RetryOptions } from './retry.ts';
import type { Rfc3339, Transfer } from './types.ts';
import { checkDescription, checkShortText } from './validate.ts';

/** A payment made on a payment consent: the transfer that booked it, seen from the consent. */
export interface Payment {
  /** `pay_` and 32 hex digits. */
  id: string;
  consentId: string;
  transferId: string;
  status: 'completed';
  debtorAccountId: string;
  creditorAccountId: string;
  /** Minor units, > 0. */
  amountMinor: bigint;
  currency: string;
  remittanceInformation: string | null;
  /** When the consent was charged: what its periods count by. */
  createdAt: Rfc3339;
}

/** A payment to make on a consent. */
export interface PaymentRequest {
  /** `pc_…` */
  consentId: string;
  /** A mandate's payment: minor units, > 0. A single payment: absent or null (the consent's amount is paid). */
  amountMinor?: bigint | null;
  /** The currency the caller understands the consent in; must be the consent's (`currency_mismatch`). */
  currency: string;
  /** Up to 140 characters; default the consent's own remittance information. */
  remittanceInformation?: string | null;
}

/** Options of {@link postPayment} and {@link preparePostPayment}. */
export interface PaymentOptions {
  /** Who asks (recorded on the transfer); with `subject` the scope of `idempotencyKey`, exactly as for transfers. */
  clientId?: string;
  /** Whom the client acts for. */
  subject?: string;
  /** Makes the call idempotent per `(clientId, subject, idempotencyKey)` for 24 h, in the same key space as transfers. */
  idempotencyKey?: string;
  /** The consent's debtor account must be owned by this subject, else `payment_consent_not_found`. */
  debtorOwnerSubject?: string;
  /** The time the consent is charged at (expiry, periods). Default: the database clock. For tests. */
  now?: Date;
  /** Bounds of the retry on serialization failures and deadlocks (used by {@link postPayment}). */
  retry?: RetryOptions;
}

/** The arguments of `ledger.post_payment` (migration 20261208_07), one per parameter; bind them by name. */
export interface PostPaymentArguments {
  readonly clientId: string | null;
  readonly subject: string;
  readonly idempotencyKey: string | null;
  /** SHA-256 (hex) of the canonical payment request under a key, else null. */
  readonly requestHash: string | null;
  readonly ttlSeconds: number;
  readonly debtorOwner: string | null;
  readonly consentId: string;
  /** Minor units as a decimal string (bind as `::bigint`), or null for a single payment. */
  readonly amountMinor: string | null;
  readonly currency: string;
  readonly remittanceInformation: string | null;
  readonly paymentId: string;
  readonly transferId: string;
  readonly debitPostingId: string;
  readonly creditPostingId: string;
  /** `p_now`: RFC 3339, or null for the database clock. */
  readonly now: string | null;
}

/** A payment as `ledger.payment_json` writes it: the amount as a decimal string of minor units. */
export type StoredPayment = Omit<Payment, 'amountMinor'> & { amountMinor: string };

/** What `ledger.post_payment` books or refuses, and what an idempotency record of a payment replays. */
export type StoredPaymentOutcome =
  | { payment: StoredPayment; transfer: StoredTransfer }
  | { error: { code: LedgerErrorCode; message: string } };

/** What `ledger.post_payment` answers. */
export type PostPaymentAnswer =
  | { outcome: StoredPaymentOutcome; replayed: boolean }
  | { refused: { code: LedgerErrorCode; message: string } };

/** Result of a payment. */
export interface PaymentResult {
  payment: Payment;
  /** The transfer that booked it. */
  transfer: Transfer;
  /** True when this is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
}

/**
 * Checks a payment request and its options without the database and prepares the arguments of
 * one `ledger.post_payment` call (new ids, the request hash under a key). A service that checks
 * something of its own in the same statement calls the function from its own schema with them and
 * reads the answer with {@link postPaymentResult}. docs/ledger.md, "Payment consents".
 *
 * @throws {LedgerError} `payment_consent_not_found` (an id that cannot exist), `invalid_amount`,
 *   `unsupported_currency`, `invalid_request` (remittance information, client id, subject or key
 *   malformed; a key without a client id and a subject)
 */
export function preparePostPayment(request: PaymentRequest, options: PaymentOptions = {}): PostPaymentArguments {
  if (!isId('pc', request.consentId)) throw new LedgerError('payment_consent_not_found', 'payment consent not found');
  minorUnitExponent(request.currency);
  const amount = request.amountMinor ?? null;
  if (amount !== null && (typeof amount !== 'bigint' || amount <= 0n || amount > maxAmountMinor(request.currency))) {
    throw new LedgerError('invalid_amount', 'amount must be greater than zero and within range');
  }
  let remittanceInformation: string | null;
  try {
    remittanceInformation = checkDescription(request.remittanceInformation);
  } catch {
    throw new LedgerError('invalid_request', 'remittance_information must be a string of at most 140 characters without control characters');
  }
  const clientId = options.clientId === undefined ? null : checkShortText('client id', options.clientId);
  const subject = options.subject === undefined ? null : checkShortText('subject', options.subject);
  const key = options.idempotencyKey === undefined ? null : checkIdempotencyKey(options.idempotencyKey);
  if (key !== null && (clientId === null || subject === null)) {
    throw new LedgerError('invalid_request', 'an idempotency key needs a client id and a subject');
  }
  const canonical = JSON.stringify(['payment', request.consentId, amount?.toString() ?? null, request.currency, remittanceInformation]);
  return {
    clientId,
    subject: subject ?? '',
    idempotencyKey: key,
    requestHash: key === null ? null : createHash('sha256').update(canonical).digest('hex'),
    ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
    debtorOwner: options.debtorOwnerSubject === undefined ? null : checkShortText('owner subject', options.debtorOwnerSubject),
    consentId: request.consentId,
    amountMinor: amount?.toString() ?? null,
    currency: request.currency,
    remittanceInformation,
    paymentId: newId('pay'),
    transferId: newId('tr'),
    debitPostingId: newId('pst'),
    creditPostingId: newId('pst'),
    now: options.now?.toISOString() ?? null,
  };
}

/**
 * The arguments of a `ledger.post_payment` call by parameter name, with {@link postPaymentBindings}
 * (every parameter but `p_now`, the test clock, which keeps its default: the database's).
 */
export const POST_PAYMENT_ARGUMENTS_SQL = `p_client_id => ?, p_subject => ?, p_idempotency_key => ?, p_request_hash => ?,
  p_ttl_seconds => ?, p_debtor_owner => ?, p_consent_id => ?, p_amount => ?::bigint, p_currency => ?,
  p_remittance_information => ?, p_payment_id => ?, p_transfer_id => ?, p_debit_posting_id => ?,
  p_credit_posting_id => ?`;

/** The values for {@link POST_PAYMENT_ARGUMENTS_SQL}, in its order. */
export function postPaymentBindings(args: PostPaymentArguments): Knex.Value[] {
  return [args.clientId, args.subject, args.idempotencyKey, args.requestHash, args.ttlSeconds, args.debtorOwner,
    args.consentId, args.amountMinor, args.currency, args.remittanceInformation, args.paymentId, args.transferId,
    args.debitPostingId, args.creditPostingId];
}

/**
 * Reads what `ledger.post_payment` answered: the payment and its transfer, or the refusal thrown
 * (a stored refusal replayed is marked `replayed`).
 *
 * @throws {LedgerError} `payment_consent_not_found`, `consent_revoked`, `consent_consumed`,
 *   `consent_limit_exceeded`, `consent_expired`, `currency_mismatch`, `invalid_request`,
 *   `insufficient_funds`, `account_not_found`, `balance_out_of_range`, `idempotency_key_reused`,
 *   `idempotency_key_in_flight`
 * @throws {Error} when there is no answer at all (a bug)
 */
export function postPaymentResult(answer: PostPaymentAnswer | null | undefined): PaymentResult {
  if (!answer) throw new Error('ledger.post_payment answered nothing');
  if ('refused' in answer) throw new LedgerError(answer.refused.code, answer.refused.message);
  const { outcome, replayed } = answer;
  if ('error' in outcome) throw new LedgerError(outcome.error.code, outcome.error.message, { replayed });
  return { payment: toPayment(outcome.payment), transfer: settle(outcome, replayed), replayed };
}

/**
 * Pays on a consent with one SQL statement, its own transaction (`ledger.post_payment`): the
 * consent locked, checked (status, `valid_until`, the maximum and every period's sum) and charged,
 * the transfer booked, the idempotency record written, all or nothing. docs/ledger.md, "Payment
 * consents". Serialization failures and deadlocks are retried a bounded number of times.
 *
 * @returns the payment, its transfer and whether it was replayed
 * @throws {LedgerError} as {@link preparePostPayment} and {@link postPaymentResult}, and `ledger_busy`
 */
export async function postPayment(db: Knex, request: PaymentRequest, options: PaymentOptions = {}): Promise<PaymentResult> {
  const args = preparePostPayment(request, options);
  const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ answer: PostPaymentAnswer }> }>(
    `SELECT ledger.post_payment(${POST_PAYMENT_ARGUMENTS_SQL}, p_now => ?::timestamptz) AS answer`,
    [...postPaymentBindings(args), args.now]), options.retry);
  return postPaymentResult(rows[0]?.answer);
}

/**
 * @returns the payment
 * @throws {LedgerError} `payment_not_found` (unknown or malformed id)
 */
export async function getPayment(db: Knex | Knex.Transaction, paymentId: string): Promise<Payment> {
  if (!isId('pay', paymentId)) throw new LedgerError('payment_not_found', 'payment not found');
  const { rows } = await db.raw<{ rows: Array<{ payment: StoredPayment | null }> }>(
    'SELECT ledger.payment_json(?) AS payment', [paymentId]);
  const payment = rows[0]?.payment;
  if (!payment) throw new LedgerError('payment_not_found', 'payment not found');
  return toPayment(payment);
}

function toPayment(stored: StoredPayment): Payment {
  return { ...stored, amountMinor: BigInt(stored.amountMinor) };
}
