/**
 * Stable codes of the ledger's expected failures. The HTTP layer maps each to a status and keeps
 * the code as the problem document's `code` (RFC 9457), so these strings are part of the public API.
 */
export type LedgerErrorCode =
  /** An amount string is malformed, zero, negative, too precise or too large for its currency. */
  | 'invalid_amount'
  /** The currency is not an ISO 4217 code that this ledger supports. */
  | 'unsupported_currency'
  /** Some other input is malformed (description, limit, timestamp, idempotency key, client id). */
  | 'invalid_request'
  /** A history cursor was not produced by this ledger, or was altered. */
  | 'invalid_cursor'
  /** No such account (malformed ids and internal system accounts included: as if absent). */
  | 'account_not_found'
  /** No such transfer. */
  | 'transfer_not_found'
  /** The two accounts, or an account and the requested currency, differ in currency. */
  | 'currency_mismatch'
  /** Source and destination are the same account. */
  | 'same_account'
  /** The source account has no overdraft and its balance is below the amount. */
  | 'insufficient_funds'
  /** The idempotency key was used before by this client for a different request. */
  | 'idempotency_key_reused'
  /** A request with this idempotency key is still being processed. */
  | 'idempotency_key_in_flight'
  /** A balance would leave PostgreSQL's bigint range. */
  | 'balance_out_of_range'
  /** No such payment consent (malformed ids, and consents of another owner, included: as if absent). */
  | 'payment_consent_not_found'
  /** No such payment. */
  | 'payment_not_found'
  /** The single payment of a `payment_initiation` consent has already been made. */
  | 'consent_consumed'
  /** The amount is above a mandate's `maximum_individual_amount`, or would take a period's payments above its limit. */
  | 'consent_limit_exceeded'
  /** The consent's `valid_until` has passed. */
  | 'consent_expired'
  /** The user revoked the consent: nothing may be paid on it any more (the resource API answers 401). */
  | 'consent_revoked'
  /** Lock contention outlasted the bounded retries; nothing was written, the caller may retry. */
  | 'ledger_busy';

/**
 * An expected, typed failure of a ledger operation: the request was refused and nothing was
 * written (except, for idempotent transfers, the stored refusal). Broken invariants are not
 * LedgerErrors: they throw plain errors and are bugs.
 */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  /** True when this refusal is the stored outcome of an earlier call with the same idempotency key. */
  readonly replayed: boolean;

  constructor(code: LedgerErrorCode, message: string, options: { replayed?: boolean } = {}) {
    super(message);
    this.name = 'LedgerError';
    this.code = code;
    this.replayed = options.replayed === true;
  }
}
