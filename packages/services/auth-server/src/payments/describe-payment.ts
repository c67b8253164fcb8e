import { formatAmount } from '@payapi/ledger';
import type { PaymentConsent, PaymentPeriod, PaymentTerms } from '@payapi/ledger';

/** What the user authorises, in words, for the consent page and the connected-apps page. */
export interface PaymentDescription {
  /** One line: "Pay 123.50 CNY to Bob Current", or "Payments to Bob Current in CNY, within these limits:". */
  summary: string;
  /** The rest, one sentence each: a mandate's limits and end date; a payment's reference. */
  lines: string[];
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** How each calendar period reads (UTC, weeks from Monday: the contract's periods). */
const PERIOD_WORDS: Readonly<Record<PaymentPeriod, string>> = {
  day: 'per day (UTC)',
  week: 'per week (Monday to Sunday, UTC)',
  month: 'per calendar month (UTC)',
};

/**
 * The terms in the contract's words: for one payment **Pay 123.50 CNY to Bob Current**; for a
 * mandate each limit and the end date. Amounts with exactly the currency's minor digits.
 *
 * @param terms checked terms (`checkPaymentTerms` or a stored consent)
 * @param creditorName the creditor account's name
 */
export function describePaymentTerms(terms: PaymentTerms, creditorName: string): PaymentDescription {
  const money = (minor: bigint) => `${formatAmount(minor, terms.currency)} ${terms.currency}`;
  const lines: string[] = [];
  if (terms.type === 'payment_initiation') {
    if (terms.remittanceInformation) lines.push(`Reference: ${terms.remittanceInformation}`);
    if (terms.validUntil) lines.push(`Valid until ${formatUtc(terms.validUntil)}`);
    return { summary: `Pay ${money(terms.amountMinor ?? 0n)} to ${creditorName}`, lines };
  }
  if (terms.maximumIndividualAmountMinor !== null) lines.push(`Up to ${money(terms.maximumIndividualAmountMinor)} per payment`);
  for (const limit of terms.periodicLimits) lines.push(`Up to ${money(limit.amountMinor)} ${PERIOD_WORDS[limit.period]}`);
  if (terms.validUntil) lines.push(`Until ${formatUtc(terms.validUntil)}`);
  return { summary: `Payments to ${creditorName} in ${terms.currency}, within these limits:`, lines };
}

/** A consent's use so far: "Spent this day (from 8 December 2026): 100.00 of 300.00 CNY", one per limit. */
export function describeSpending(consent: PaymentConsent): string[] {
  return consent.spent.map((spent) => {
    const limit = consent.periodicLimits.find((candidate) => candidate.period === spent.period);
    const of = limit ? ` of ${formatAmount(limit.amountMinor, consent.currency)}` : '';
    return `Spent this ${spent.period} (from ${formatUtcDate(spent.periodStart)}): ${formatAmount(spent.amountMinor, consent.currency)}${of} ${consent.currency}`;
  });
}

/** "31 December 2026, 23:59 UTC" (seconds shown when not zero). */
export function formatUtc(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  const two = (value: number) => String(value).padStart(2, '0');
  const seconds = date.getUTCSeconds() || date.getUTCMilliseconds() ? `:${two(date.getUTCSeconds())}` : '';
  return `${formatUtcDate(rfc3339)}, ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}${seconds} UTC`;
}

/** "8 December 2026" (the UTC date). */
export function formatUtcDate(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}
