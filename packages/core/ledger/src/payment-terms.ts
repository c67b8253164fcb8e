import type { Knex } from 'knex';
import { maxAmountMinor, parseAmount } from './amount.ts';
import { minorUnitExponent } from './currency.ts';
import { LedgerError } from './errors.ts';
import { isId } from './ids.ts';
import { toUtcMicros } from './timestamps.ts';
import type { Rfc3339 } from './types.ts';
import { DESCRIPTION_LENGTH_MAX, checkDescription } from './validate.ts';

/** `payment_initiation`: one payment; `payment_mandate`: variable recurring payments within limits. */
export type PaymentConsentType = 'payment_initiation' | 'payment_mandate';

/** Calendar periods in UTC: a day from 00:00, a week from Monday 00:00, a month from the 1st 00:00. */
export type PaymentPeriod = 'day' | 'week' | 'month';

/** The periods in the order the ledger lists them. */
export const PAYMENT_PERIODS: readonly PaymentPeriod[] = Object.freeze(['day', 'week', 'month']);

/** A mandate's cap on the sum of its payments in each calendar period. */
export interface PeriodicLimit {
  period: PaymentPeriod;
  /** Minor units, > 0. */
  amountMinor: bigint;
}

/**
 * What a user is asked to authorise, checked: the terms of a payment consent (docs/ledger.md,
 * "Payment consents"). Amounts in minor units of `currency`.
 */
export interface PaymentTerms {
  type: PaymentConsentType;
  creditorAccountId: string;
  currency: string;
  /** `payment_initiation`: the payment's amount, > 0; a mandate: null. */
  amountMinor: bigint | null;
  /** `payment_initiation` only: up to 140 characters, or null. A mandate: null. */
  remittanceInformation: string | null;
  /** `payment_mandate`: the largest single payment, > 0; a single payment: null. */
  maximumIndividualAmountMinor: bigint | null;
  /** `payment_mandate`: at most one per period, in the order day, week, month; a single payment: empty. */
  periodicLimits: PeriodicLimit[];
  /** RFC 3339 UTC with microseconds. Required for a mandate; optional (null: no end) for a single payment. */
  validUntil: Rfc3339 | null;
}

/**
 * The terms as they arrive in an RFC 9396 `authorization_details` element (contract, "Payment
 * consents"), unchecked: the caller maps the element's members onto these fields and refuses
 * members it does not know.
 */
export interface PaymentTermsInput {
  /** `type` */
  type: unknown;
  /** `creditor_account.account_id` */
  creditorAccountId: unknown;
  /** `instructed_amount.currency` (single payment) or `currency` (mandate) */
  currency: unknown;
  /** `instructed_amount.amount`, a decimal string (single payment only) */
  amount?: unknown;
  /** `remittance_information` (single payment only) */
  remittanceInformation?: unknown;
  /** `maximum_individual_amount`, a decimal string (mandate only) */
  maximumIndividualAmount?: unknown;
  /** `periodic_limits`: `[{ "period": "day" | "week" | "month", "amount": "300.00" }]` (mandate only) */
  periodicLimits?: unknown;
  /** `valid_until`, RFC 3339 with an offset */
  validUntil?: unknown;
}

/** The creditor as the consent page names it ("Pay 123.50 CNY to Bob Current"). */
export interface CreditorAccount {
  id: string;
  name: string;
  currency: string;
}

/** Options of the functions that compare `valid_until` with the time. */
export interface PaymentClockOptions {
  /** The time to compare with; default the current time. For tests. */
  now?: Date;
}

/**
 * Checks an `authorization_details` element's terms without the database, by the ledger's amount
 * rules (exact minor digits of the currency, > 0, at most 15 integer digits: `parseAmount`): a
 * known type, a supported currency, a well-formed creditor id, the members of that type only,
 * periodic limits (at most one per period), `valid_until` after now (required for a mandate). Error
 * messages name the wire members.
 *
 * @returns the terms in minor units, limits in the order day, week, month, `validUntil` in UTC
 * @throws {LedgerError} `invalid_request`, `invalid_amount`, `unsupported_currency`,
 *   `account_not_found` (a creditor id that cannot exist)
 */
export function parsePaymentTerms(input: PaymentTermsInput, options: PaymentClockOptions = {}): PaymentTerms {
  if (input.type !== 'payment_initiation' && input.type !== 'payment_mandate') {
    throw new LedgerError('invalid_request', 'type must be "payment_initiation" or "payment_mandate"');
  }
  minorUnitExponent(input.currency);
  const currency = input.currency as string;
  const amount = (field: string, value: unknown): bigint => {
    try {
      return parseAmount(value, currency);
    } catch (error) {
      if (error instanceof LedgerError) throw new LedgerError(error.code, `${field}: ${error.message}`);
      throw error;
    }
  };
  const base = { creditorAccountId: input.creditorAccountId as string, currency };
  const validUntil = input.validUntil === undefined ? null : toUtcMicros('valid_until', input.validUntil);
  if (input.type === 'payment_initiation') {
    refuseMembers(input.type, { maximum_individual_amount: input.maximumIndividualAmount, periodic_limits: input.periodicLimits });
    return validatePaymentTerms({
      type: input.type, ...base, amountMinor: amount('instructed_amount.amount', input.amount),
      remittanceInformation: remittance(input.remittanceInformation),
      maximumIndividualAmountMinor: null, periodicLimits: [], validUntil,
    }, options);
  }
  refuseMembers(input.type, { 'instructed_amount.amount': input.amount, remittance_information: input.remittanceInformation });
  if (validUntil === null) throw new LedgerError('invalid_request', 'valid_until is required for a payment_mandate');
  const limits = input.periodicLimits ?? [];
  if (!Array.isArray(limits) || limits.length > PAYMENT_PERIODS.length) {
    throw new LedgerError('invalid_request', 'periodic_limits must be a list of at most 3 limits, one per period');
  }
  return validatePaymentTerms({
    type: input.type, ...base, amountMinor: null, remittanceInformation: null,
    maximumIndividualAmountMinor: amount('maximum_individual_amount', input.maximumIndividualAmount),
    periodicLimits: limits.map((limit: unknown, index) => {
      const entry = typeof limit === 'object' && limit !== null && !Array.isArray(limit) ? limit as Record<string, unknown> : null;
      if (!entry || Object.keys(entry).some((key) => key !== 'period' && key !== 'amount')) {
        throw new LedgerError('invalid_request', `periodic_limits[${index}] must be an object with "period" and "amount" only`);
      }
      return { period: entry.period as PaymentPeriod, amountMinor: amount(`periodic_limits[${index}].amount`, entry.amount) };
    }),
    validUntil,
  }, options);
}

/**
 * Checks terms already in minor units (what {@link parsePaymentTerms} returns, or a caller's own):
 * the rules of {@link parsePaymentTerms} again, so a consent is never created from terms that
 * would not parse, and `valid_until` still in the future.
 *
 * @returns the terms, limits sorted day, week, month
 * @throws {LedgerError} as {@link parsePaymentTerms}
 */
export function validatePaymentTerms(terms: PaymentTerms, options: PaymentClockOptions = {}): PaymentTerms {
  if (terms.type !== 'payment_initiation' && terms.type !== 'payment_mandate') {
    throw new LedgerError('invalid_request', 'type must be "payment_initiation" or "payment_mandate"');
  }
  minorUnitExponent(terms.currency);
  if (!isId('acc', terms.creditorAccountId)) throw new LedgerError('account_not_found', 'creditor account not found');
  const inRange = (value: unknown): value is bigint => typeof value === 'bigint' && value > 0n && value <= maxAmountMinor(terms.currency);
  const validUntil = terms.validUntil === null ? null : toUtcMicros('valid_until', terms.validUntil);
  if (validUntil !== null && Date.parse(validUntil) <= (options.now ?? new Date()).getTime()) {
    throw new LedgerError('invalid_request', 'valid_until must be in the future');
  }
  if (terms.type === 'payment_initiation') {
    if (!inRange(terms.amountMinor)) throw new LedgerError('invalid_amount', 'the payment amount must be greater than zero and within range');
    if (terms.maximumIndividualAmountMinor !== null || terms.periodicLimits.length > 0) {
      throw new LedgerError('invalid_request', 'a payment_initiation has no maximum_individual_amount or periodic_limits');
    }
    return { ...terms, remittanceInformation: remittance(terms.remittanceInformation), validUntil };
  }
  if (terms.amountMinor !== null || terms.remittanceInformation !== null) {
    throw new LedgerError('invalid_request', 'a payment_mandate has no instructed_amount or remittance_information');
  }
  if (validUntil === null) throw new LedgerError('invalid_request', 'valid_until is required for a payment_mandate');
  if (!inRange(terms.maximumIndividualAmountMinor)) {
    throw new LedgerError('invalid_amount', 'maximum_individual_amount must be greater than zero and within range');
  }
  const seen = new Set<PaymentPeriod>();
  for (const limit of terms.periodicLimits) {
    if (!PAYMENT_PERIODS.includes(limit.period)) throw new LedgerError('invalid_request', 'a periodic limit\'s period must be "day", "week" or "month"');
    if (seen.has(limit.period)) throw new LedgerError('invalid_request', `periodic_limits has more than one "${limit.period}" limit`);
    if (!inRange(limit.amountMinor)) throw new LedgerError('invalid_amount', 'a periodic limit must be greater than zero and within range');
    seen.add(limit.period);
  }
  const periodicLimits = PAYMENT_PERIODS.flatMap((period) => terms.periodicLimits.filter((limit) => limit.period === period))
    .map((limit) => ({ period: limit.period, amountMinor: limit.amountMinor }));
  return { ...terms, periodicLimits, validUntil };
}

/**
 * {@link parsePaymentTerms}, then the creditor in the database: it exists (not a system account)
 * and holds the terms' currency. The check to run at the authorization request (RFC 9396 §5: any
 * failure there is `invalid_authorization_details`).
 *
 * @returns the terms and the creditor's id, name and currency (for the consent page)
 * @throws {LedgerError} as {@link parsePaymentTerms}, plus `account_not_found` (no such creditor)
 *   and `currency_mismatch` (the creditor holds another currency)
 */
export async function checkPaymentTerms(
  db: Knex | Knex.Transaction,
  input: PaymentTermsInput,
  options: PaymentClockOptions = {},
): Promise<{ terms: PaymentTerms; creditor: CreditorAccount }> {
  const terms = parsePaymentTerms(input, options);
  const { rows } = await db.raw<{ rows: CreditorAccount[] }>(
    `SELECT id, name, currency FROM ledger.accounts WHERE id = ? AND type <> 'funding'`, [terms.creditorAccountId]);
  const creditor = rows[0];
  if (!creditor) throw new LedgerError('account_not_found', 'creditor account not found');
  if (creditor.currency !== terms.currency) {
    throw new LedgerError('currency_mismatch', `the creditor account does not hold ${terms.currency}`);
  }
  return { terms, creditor };
}

function refuseMembers(type: PaymentConsentType, members: Record<string, unknown>): void {
  const present = Object.entries(members).filter(([, value]) => value !== undefined).map(([name]) => name);
  if (present.length > 0) throw new LedgerError('invalid_request', `a ${type} has no ${present.join(' or ')}`);
}

/** Remittance information: like a transfer's description (at most 140 safe characters), named for the wire. */
function remittance(value: unknown): string | null {
  try {
    return checkDescription(value);
  } catch (error) {
    if (error instanceof LedgerError) {
      throw new LedgerError('invalid_request', `remittance_information must be a string of at most ${DESCRIPTION_LENGTH_MAX} characters without control characters`);
    }
    throw error;
  }
}
