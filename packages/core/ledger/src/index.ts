/**
 * The double-entry ledger. Amounts are bigint minor units inside, decimal strings outside
 * (`parseAmount` / `formatAmount`). Every function takes a knex instance on PostgreSQL whose
 * schema `ledger` is migrated (`migrateLedger`).
 */
export { GET_BALANCE_SQL, getAccount, getBalance, listAccounts, openAccount } from './accounts.ts';
export type { Balance, BalanceRow, OpenAccountInput } from './accounts.ts';
export { AMOUNT_INTEGER_DIGITS_MAX, formatAmount, maxAmountMinor, parseAmount } from './amount.ts';
export { SUPPORTED_CURRENCIES, isSupportedCurrency, minorUnitExponent } from './currency.ts';
export { LedgerError } from './errors.ts';
export type { LedgerErrorCode } from './errors.ts';
export { HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX, listPostings } from './history.ts';
export type { HistoryPage, HistoryQuery } from './history.ts';
export { IDEMPOTENCY_TTL_SECONDS, isIdempotencyKey, purgeExpiredIdempotencyRecords } from './idempotency.ts';
export { isId } from './ids.ts';
export { migrateLedger, rollbackLedger } from './migrations.ts';
export { auditLedger } from './audit.ts';
export type { LedgerAudit } from './audit.ts';
export {
  PAYMENT_CONSENTS_LISTED_MAX, PAYMENT_CONSENT_REVOKED_CHANNEL, createPaymentConsent, findRevokedPaymentConsents,
  getPaymentConsent, listPaymentConsents, listRecentlyRevokedPaymentConsents, revokePaymentConsent,
} from './payment-consents.ts';
export type { CreatePaymentConsentInput, PaymentConsent, PaymentConsentStatus, PeriodSpent } from './payment-consents.ts';
export { recordExpiredPaymentConsents } from './payment-consent-expiry.ts';
export { PAYMENT_PERIODS, checkPaymentTerms, parsePaymentTerms, validatePaymentTerms } from './payment-terms.ts';
export type {
  CreditorAccount, PaymentClockOptions, PaymentConsentType, PaymentPeriod, PaymentTerms, PaymentTermsInput, PeriodicLimit,
} from './payment-terms.ts';
export { toWirePayment, toWirePaymentConsent } from './payment-wire.ts';
export type { WirePayment, WirePaymentConsent } from './payment-wire.ts';
export {
  POST_PAYMENT_ARGUMENTS_SQL, getPayment, postPayment, postPaymentBindings, postPaymentResult, preparePostPayment,
} from './payments.ts';
export type { Payment, PaymentOptions, PaymentRequest, PaymentResult, PostPaymentAnswer, PostPaymentArguments } from './payments.ts';
export { postTransferResult, preparePostTransfer, toPostTransfersItem } from './post-transfer.ts';
export type { PostTransferAnswer, PostTransferArguments, PostTransfersItem, TransferOptions, TransferResult } from './post-transfer.ts';
export { retryAborted, withTransactionRetry } from './retry.ts';
export type { RetryOptions } from './retry.ts';
export { getTransfer, transfer } from './transfer.ts';
export type { Account, AccountType, Posting, Rfc3339, Transfer, TransferRequest } from './types.ts';
