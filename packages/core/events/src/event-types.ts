/**
 * Every event type (docs/webhooks.md, "Events"): what a partner may subscribe an endpoint to and
 * filter its event log by. `webhook.test` goes only to the endpoint that asked for it.
 */
export const EVENT_TYPES = [
  'transfer.completed',
  'transaction.booked',
  'grant.revoked',
  'payment_consent.authorised',
  'payment_consent.rejected',
  'payment_consent.consumed',
  'payment_consent.revoked',
  'payment_consent.expired',
  'payment.completed',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** True for a known event type. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** Why a grant ended, in `grant.revoked` events. */
export const GRANT_REVOCATION_REASONS = ['user_revoked', 'token_revoked', 'refresh_token_reuse', 'authorization_code_reuse', 'operator'] as const;
export type GrantRevocationReason = (typeof GRANT_REVOCATION_REASONS)[number];
