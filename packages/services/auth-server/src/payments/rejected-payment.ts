import { randomBytes } from 'node:crypto';
import { appendEvent } from '@payapi/events';
import { toWirePaymentConsent } from '@payapi/ledger';
import type { PaymentTerms, WirePaymentConsent } from '@payapi/ledger';
import type { Knex } from 'knex';

/** RFC 9126 §2.2: the prefix of the `request_uri` a pushed authorization request answers with. */
const PUSHED_REQUEST_URN = 'urn:ietf:params:oauth:request_uri:';

/** The longest `state` a `payment_consent.rejected` event repeats; a longer one is left out (null). */
export const REJECTED_STATE_LENGTH_MAX = 1024;

/**
 * What the partner knows its authorization request by, repeated in `payment_consent.rejected` so it
 * can match the event to the request (docs/webhooks.md): the `state` it sent (RFC 6749 §4.1.1) and,
 * when it pushed the request (RFC 9126), the `request_uri` it was given.
 */
export interface AuthorizationRequestReference {
  state: string | null;
  requestUri: string | null;
}

/**
 * The reference of the interaction's authorization request: `state` as sent (null when none or longer
 * than {@link REJECTED_STATE_LENGTH_MAX}) and the pushed request's `request_uri` (null without PAR).
 *
 * @param params the interaction's authorization parameters (`interactionDetails(…).params`); a
 *   `request_uri` among them is taken as it is
 * @param parJti the pushed request's id that oidc-provider keeps on the interaction (`parJti`): the
 *   parameters of a pushed request are the pushed ones, without the `request_uri` the browser brought
 */
export function authorizationRequestReference(params: Readonly<Record<string, unknown>>, parJti?: unknown): AuthorizationRequestReference {
  const state = typeof params.state === 'string' && params.state.length <= REJECTED_STATE_LENGTH_MAX ? params.state : null;
  let requestUri: string | null = null;
  if (typeof params.request_uri === 'string' && params.request_uri.startsWith(PUSHED_REQUEST_URN)) requestUri = params.request_uri;
  else if (typeof parJti === 'string' && parJti !== '') requestUri = `${PUSHED_REQUEST_URN}${parJti}`;
  return { state, requestUri };
}

/** `data` of `payment_consent.rejected` (docs/webhooks.md). */
export type RejectedPaymentConsent = Omit<WirePaymentConsent, 'status' | 'debtor_account_id'> & {
  status: 'rejected';
  debtor_account_id: null;
  authorization_request: { state: string | null; request_uri: string | null };
};

/**
 * Tells the client that the user pressed Deny on a payment (`payment_consent.rejected`). Nothing is
 * stored in the ledger: the user authorised nothing and chose no account, and the partner gets no
 * token to read a consent with. The event's data is the `PaymentConsent` shape of what was asked,
 * with a fresh `pc_…` id that no consent has (never null, so receivers can key on it), status
 * `rejected`, no debtor account, and the request's `state` and `request_uri` under
 * `authorization_request`, which is what the partner can match it with.
 *
 * @returns the event's `data`
 */
export async function recordRejectedPayment(
  db: Knex, clientId: string, terms: PaymentTerms, request: AuthorizationRequestReference,
): Promise<RejectedPaymentConsent> {
  const asked = toWirePaymentConsent({
    ...terms, id: `pc_${randomBytes(16).toString('hex')}`, status: 'authorised', debtorAccountId: '', spent: [],
    createdAt: microsecondsUtc(new Date()), consumedAt: null, revokedAt: null,
  });
  const data: RejectedPaymentConsent = {
    ...asked, status: 'rejected', debtor_account_id: null,
    authorization_request: { state: request.state, request_uri: request.requestUri },
  };
  await appendEvent(db, { type: 'payment_consent.rejected', clientId, data });
  return data;
}

/** RFC 3339 UTC with six fractional digits, as the ledger writes its times. */
function microsecondsUtc(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}
