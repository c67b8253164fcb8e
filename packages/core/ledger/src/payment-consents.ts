import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { isId, newId } from './ids.ts';
import { validatePaymentTerms } from './payment-terms.ts';
import type { PaymentClockOptions, PaymentConsentType, PaymentPeriod, PaymentTerms } from './payment-terms.ts';
import type { Rfc3339 } from './types.ts';
import { checkShortText } from './validate.ts';

/**
 * `authorised` until paid (single payment), revoked, or past `valid_until` (`expired`: derived from
 * the time asked about, and stored once `recordExpiredPaymentConsents` has recorded it).
 */
export type PaymentConsentStatus = 'authorised' | 'consumed' | 'revoked' | 'expired';

/** What a mandate has paid in the current calendar period of one of its limits. */
export interface PeriodSpent {
  period: PaymentPeriod;
  /** Start of the period holding the time asked about (UTC), RFC 3339. */
  periodStart: Rfc3339;
  /** Minor units paid in that period so far. */
  amountMinor: bigint;
}

/** A payment consent: its terms, the account paid from, its state and what was spent. */
export interface PaymentConsent extends PaymentTerms {
  /** `pc_` and 32 hex digits. */
  id: string;
  status: PaymentConsentStatus;
  debtorAccountId: string;
  /** One entry per periodic limit (day, week, month order); empty for a single payment. */
  spent: PeriodSpent[];
  createdAt: Rfc3339;
  consumedAt: Rfc3339 | null;
  revokedAt: Rfc3339 | null;
}

/** Input of {@link createPaymentConsent}: checked terms plus the account the user chose to pay from. */
export interface CreatePaymentConsentInput extends PaymentTerms {
  debtorAccountId: string;
  /** The user (OAuth `sub`) who must own the debtor account. */
  debtorOwnerSubject: string;
}

/**
 * The NOTIFY channel {@link revokePaymentConsent} signals on, with the consent id as payload, when
 * its transaction commits (docs/resource-api.md, "Revocation at once").
 */
export const PAYMENT_CONSENT_REVOKED_CHANNEL = 'ledger_payment_consent_revoked';

/** Most ids {@link listPaymentConsents} takes in one call. */
export const PAYMENT_CONSENTS_LISTED_MAX = 1000;

/** `ledger.payment_consent_json` (migration 20261208_07): bigints as decimal strings. */
export interface PaymentConsentJson {
  id: string;
  type: PaymentConsentType;
  status: PaymentConsentStatus;
  debtorAccountId: string;
  creditorAccountId: string;
  currency: string;
  amountMinor: string | null;
  remittanceInformation: string | null;
  maximumIndividualAmountMinor: string | null;
  periodicLimits: Array<{ period: PaymentPeriod; amountMinor: string }>;
  spent: Array<{ period: PaymentPeriod; periodStart: string; amountMinor: string }>;
  validUntil: string | null;
  createdAt: string;
  consumedAt: string | null;
  revokedAt: string | null;
}

/**
 * Records what the user authorised (docs/ledger.md, "Payment consents"), status `authorised`. The
 * terms are checked again (`validatePaymentTerms`); the debtor must exist, belong to
 * `debtorOwnerSubject` and hold the currency, the creditor must exist and hold it too. Both accounts
 * are locked `FOR KEY SHARE` in ascending id order first, the order transfers lock them in, so
 * creating a consent never deadlocks with a transfer. Runs in its own transaction, or inside `db`
 * when it is one (with the caller's own writes, e.g. the link to a grant and an event).
 *
 * @returns the consent, nothing spent
 * @throws {LedgerError} `invalid_request`, `invalid_amount`, `unsupported_currency`,
 *   `account_not_found` (debtor or creditor unknown, a system account, or a debtor of another
 *   owner), `currency_mismatch`, `same_account`
 */
export async function createPaymentConsent(
  db: Knex | Knex.Transaction,
  input: CreatePaymentConsentInput,
  options: PaymentClockOptions = {},
): Promise<PaymentConsent> {
  const terms = validatePaymentTerms(input, options);
  const owner = checkShortText('debtor owner subject', input.debtorOwnerSubject);
  if (!isId('acc', input.debtorAccountId)) throw new LedgerError('account_not_found', 'debtor account not found');
  if (input.debtorAccountId === terms.creditorAccountId) {
    throw new LedgerError('same_account', 'the debtor and the creditor must be different accounts');
  }
  const consentId = newId('pc');
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: Array<{ id: string; owner_subject: string | null; currency: string; type: string }> }>(
      `SELECT id, owner_subject, currency, type FROM ledger.accounts WHERE id IN (?, ?) ORDER BY id FOR KEY SHARE`,
      [input.debtorAccountId, terms.creditorAccountId]);
    const debtor = rows.find((row) => row.id === input.debtorAccountId);
    const creditor = rows.find((row) => row.id === terms.creditorAccountId);
    if (!debtor || debtor.type === 'funding' || debtor.owner_subject !== owner) {
      throw new LedgerError('account_not_found', 'debtor account not found');
    }
    if (!creditor || creditor.type === 'funding') throw new LedgerError('account_not_found', 'creditor account not found');
    if (debtor.currency !== terms.currency || creditor.currency !== terms.currency) {
      throw new LedgerError('currency_mismatch', `both accounts must hold ${terms.currency}, the currency of the consent`);
    }
    const limit = (period: PaymentPeriod): string | null =>
      terms.periodicLimits.find((entry) => entry.period === period)?.amountMinor.toString() ?? null;
    await trx.raw(
      `INSERT INTO ledger.payment_consents (id, type, status, debtor_account_id, creditor_account_id, currency, amount_minor,
         remittance_information, maximum_individual_amount_minor, day_limit_minor, week_limit_minor, month_limit_minor,
         valid_until, created_at)
       VALUES (?, ?, 'authorised', ?, ?, ?, ?::bigint, ?, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::timestamptz, clock_timestamp())`,
      [consentId, terms.type, input.debtorAccountId, terms.creditorAccountId, terms.currency,
        terms.amountMinor?.toString() ?? null, terms.remittanceInformation,
        terms.maximumIndividualAmountMinor?.toString() ?? null, limit('day'), limit('week'), limit('month'), terms.validUntil],
    );
    return readPaymentConsent(trx, consentId, options);
  });
}

/**
 * @param options.now the time `status` (expired or not) and `spent` (its periods) refer to; default the database's
 * @returns the consent, with what was spent in the current period of each limit
 * @throws {LedgerError} `payment_consent_not_found` (unknown or malformed id)
 */
export async function getPaymentConsent(
  db: Knex | Knex.Transaction,
  consentId: string,
  options: PaymentClockOptions = {},
): Promise<PaymentConsent> {
  if (!isId('pc', consentId)) throw new LedgerError('payment_consent_not_found', 'payment consent not found');
  return readPaymentConsent(db, consentId, options);
}

/**
 * The consents among `consentIds` (malformed or unknown ids are left out), newest first, e.g. for
 * a user's connected-apps page.
 *
 * @throws {LedgerError} `invalid_request` for more than {@link PAYMENT_CONSENTS_LISTED_MAX} ids
 */
export async function listPaymentConsents(
  db: Knex | Knex.Transaction,
  consentIds: readonly string[],
  options: PaymentClockOptions = {},
): Promise<PaymentConsent[]> {
  if (consentIds.length > PAYMENT_CONSENTS_LISTED_MAX) {
    throw new LedgerError('invalid_request', `at most ${PAYMENT_CONSENTS_LISTED_MAX} payment consents can be listed at once`);
  }
  const ids = consentIds.filter((id) => isId('pc', id));
  if (ids.length === 0) return [];
  const { rows } = await db.raw<{ rows: Array<{ consent: PaymentConsentJson }> }>(
    `SELECT ledger.payment_consent_json(id, coalesce(?::timestamptz, statement_timestamp())) AS consent
       FROM ledger.payment_consents WHERE id = ANY (?::text[]) ORDER BY created_at DESC, id DESC`,
    [options.now?.toISOString() ?? null, ids]);
  return rows.map((row) => toPaymentConsent(row.consent));
}

/**
 * Revokes a consent: one stored `authorised` (also one past `valid_until` whose expiry is not recorded
 * yet) becomes `revoked` with `revokedAt`, and when the transaction commits a NOTIFY on
 * {@link PAYMENT_CONSENT_REVOKED_CHANNEL} carries its id, so every resource API instance refuses its
 * tokens at once. A consumed, already revoked or recorded `expired` consent is returned as it is, so
 * a caller that reports the revocation checks that the answer's status is `revoked` and that it was
 * `authorised` before (under a lock of its own). The consent row is locked for the change: a payment
 * or an expiry in progress on it is waited for. Payments already booked stay booked.
 *
 * @returns the consent after the change
 * @throws {LedgerError} `payment_consent_not_found`
 */
export async function revokePaymentConsent(db: Knex | Knex.Transaction, consentId: string): Promise<PaymentConsent> {
  if (!isId('pc', consentId)) throw new LedgerError('payment_consent_not_found', 'payment consent not found');
  return db.transaction(async (trx) => {
    await trx.raw(
      `WITH revoked AS (
         UPDATE ledger.payment_consents SET status = 'revoked', revoked_at = clock_timestamp()
          WHERE id = ? AND status = 'authorised' RETURNING id)
       SELECT pg_notify(?, id) FROM revoked`,
      [consentId, PAYMENT_CONSENT_REVOKED_CHANNEL]);
    return readPaymentConsent(trx, consentId, {});
  });
}

/**
 * The ids among `consentIds` of consents that are revoked (malformed or unknown ids are left out):
 * one indexed query, for a caller that must refuse a revoked consent's tokens without listening to
 * {@link PAYMENT_CONSENT_REVOKED_CHANNEL}.
 *
 * @throws {LedgerError} `invalid_request` for more than {@link PAYMENT_CONSENTS_LISTED_MAX} ids
 */
export async function findRevokedPaymentConsents(db: Knex | Knex.Transaction, consentIds: readonly string[]): Promise<string[]> {
  if (consentIds.length > PAYMENT_CONSENTS_LISTED_MAX) {
    throw new LedgerError('invalid_request', `at most ${PAYMENT_CONSENTS_LISTED_MAX} payment consents can be looked up at once`);
  }
  const ids = consentIds.filter((id) => isId('pc', id));
  if (ids.length === 0) return [];
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT id FROM ledger.payment_consents WHERE id = ANY (?::text[]) AND status = 'revoked'`, [ids]);
  return rows.map((row) => row.id);
}

/**
 * The consents revoked in the last `withinSeconds` seconds (database clock), newest first, at most
 * `limit`: what a listener on {@link PAYMENT_CONSENT_REVOKED_CHANNEL} missed while it was not
 * connected.
 *
 * @throws {LedgerError} `invalid_request` unless `withinSeconds` is an integer 1..2,592,000 (30 days) and `limit` 1..1,000,000
 */
export async function listRecentlyRevokedPaymentConsents(
  db: Knex | Knex.Transaction,
  withinSeconds: number,
  limit = 100_000,
): Promise<string[]> {
  if (!Number.isInteger(withinSeconds) || withinSeconds < 1 || withinSeconds > 2_592_000 || !Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new LedgerError('invalid_request', 'withinSeconds must be 1 to 2592000 and limit 1 to 1000000');
  }
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `SELECT id FROM ledger.payment_consents
      WHERE status = 'revoked' AND revoked_at > now() - make_interval(secs => ?)
      ORDER BY revoked_at DESC LIMIT ?`, [withinSeconds, limit]);
  return rows.map((row) => row.id);
}

/** JSON of `ledger.payment_consent_json` to {@link PaymentConsent}: decimal strings become bigints. */
export function toPaymentConsent(json: PaymentConsentJson): PaymentConsent {
  const minor = (value: string | null): bigint | null => (value === null ? null : BigInt(value));
  return {
    id: json.id,
    type: json.type,
    status: json.status,
    debtorAccountId: json.debtorAccountId,
    creditorAccountId: json.creditorAccountId,
    currency: json.currency,
    amountMinor: minor(json.amountMinor),
    remittanceInformation: json.remittanceInformation,
    maximumIndividualAmountMinor: minor(json.maximumIndividualAmountMinor),
    periodicLimits: json.periodicLimits.map((limit) => ({ period: limit.period, amountMinor: BigInt(limit.amountMinor) })),
    validUntil: json.validUntil,
    spent: json.spent.map((entry) => ({ period: entry.period, periodStart: entry.periodStart, amountMinor: BigInt(entry.amountMinor) })),
    createdAt: json.createdAt,
    consumedAt: json.consumedAt,
    revokedAt: json.revokedAt,
  };
}

async function readPaymentConsent(db: Knex | Knex.Transaction, consentId: string, options: PaymentClockOptions): Promise<PaymentConsent> {
  const { rows } = await db.raw<{ rows: Array<{ consent: PaymentConsentJson | null }> }>(
    `SELECT ledger.payment_consent_json(?, coalesce(?::timestamptz, statement_timestamp())) AS consent`,
    [consentId, options.now?.toISOString() ?? null]);
  const consent = rows[0]?.consent;
  if (!consent) throw new LedgerError('payment_consent_not_found', 'payment consent not found');
  return toPaymentConsent(consent);
}
