import type { LedgerErrorCode } from '@payapi/ledger';

/**
 * HTTP status of each ledger refusal; the problem's `code` is the ledger's code unchanged.
 * Input errors are 400, absent things 404 (non-consented accounts look the same), refusals of a
 * well-formed request 422, an idempotency key still running 409 (draft-ietf-httpapi-idempotency-key-header §2.7),
 * lock contention 503 (retryable). A revoked payment consent is 401 `invalid_token` (routes/payments.ts
 * answers it with the challenge; the 401 here is the fallback status). A `Record` so that a new ledger code fails the type check here.
 */
export const LEDGER_ERROR_STATUS: Readonly<Record<LedgerErrorCode, number>> = {
  invalid_amount: 400,
  unsupported_currency: 400,
  invalid_request: 400,
  invalid_cursor: 400,
  account_not_found: 404,
  transfer_not_found: 404,
  payment_consent_not_found: 404,
  payment_not_found: 404,
  consent_consumed: 422,
  consent_limit_exceeded: 422,
  consent_expired: 422,
  consent_revoked: 401,
  currency_mismatch: 422,
  same_account: 422,
  insufficient_funds: 422,
  balance_out_of_range: 422,
  idempotency_key_reused: 422,
  idempotency_key_in_flight: 409,
  ledger_busy: 503,
};
