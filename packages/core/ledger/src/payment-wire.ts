import { formatAmount } from './amount.ts';
import type { PaymentConsent, PaymentConsentStatus } from './payment-consents.ts';
import type { PaymentConsentType, PaymentPeriod } from './payment-terms.ts';
import type { Payment } from './payments.ts';

/**
 * The contract's `PaymentConsent` (section "Payment consents"): snake_case, amounts as decimal
 * strings with the currency's minor digits. A single payment carries `instructed_amount` and
 * `remittance_information`, a mandate `maximum_individual_amount` and `periodic_limits`, as in the
 * RFC 9396 element the user authorised.
 */
export interface WirePaymentConsent {
  id: string;
  type: PaymentConsentType;
  status: PaymentConsentStatus;
  debtor_account_id: string;
  creditor_account_id: string;
  currency: string;
  instructed_amount?: { amount: string; currency: string };
  remittance_information?: string | null;
  maximum_individual_amount?: string;
  periodic_limits?: Array<{ period: PaymentPeriod; amount: string }>;
  valid_until: string | null;
  spent: Array<{ period: PaymentPeriod; period_start: string; amount: string }>;
  created_at: string;
}

/** The contract's `Payment`. */
export interface WirePayment {
  id: string;
  consent_id: string;
  transfer_id: string;
  status: 'completed';
  debtor_account_id: string;
  creditor_account_id: string;
  amount: string;
  currency: string;
  remittance_information: string | null;
  created_at: string;
}

/**
 * A consent as the resource API answers it and as events carry it (`payment_consent.*`).
 *
 * @throws {Error} when a single payment has no amount or a mandate no maximum (broken invariant)
 */
export function toWirePaymentConsent(consent: PaymentConsent): WirePaymentConsent {
  const money = (minor: bigint): string => formatAmount(minor, consent.currency);
  const common = {
    id: consent.id,
    type: consent.type,
    status: consent.status,
    debtor_account_id: consent.debtorAccountId,
    creditor_account_id: consent.creditorAccountId,
    currency: consent.currency,
  };
  const tail = {
    valid_until: consent.validUntil,
    spent: consent.spent.map((entry) => ({ period: entry.period, period_start: entry.periodStart, amount: money(entry.amountMinor) })),
    created_at: consent.createdAt,
  };
  if (consent.type === 'payment_initiation') {
    if (consent.amountMinor === null) throw new Error('ledger invariant: a single payment consent without an amount');
    return {
      ...common,
      instructed_amount: { amount: money(consent.amountMinor), currency: consent.currency },
      remittance_information: consent.remittanceInformation,
      ...tail,
    };
  }
  if (consent.maximumIndividualAmountMinor === null) throw new Error('ledger invariant: a mandate without a maximum_individual_amount');
  return {
    ...common,
    maximum_individual_amount: money(consent.maximumIndividualAmountMinor),
    periodic_limits: consent.periodicLimits.map((limit) => ({ period: limit.period, amount: money(limit.amountMinor) })),
    ...tail,
  };
}

/** A payment as the resource API answers it and as `payment.completed` carries it. */
export function toWirePayment(payment: Payment): WirePayment {
  return {
    id: payment.id,
    consent_id: payment.consentId,
    transfer_id: payment.transferId,
    status: payment.status,
    debtor_account_id: payment.debtorAccountId,
    creditor_account_id: payment.creditorAccountId,
    amount: formatAmount(payment.amountMinor, payment.currency),
    currency: payment.currency,
    remittance_information: payment.remittanceInformation,
    created_at: payment.createdAt,
  };
}
