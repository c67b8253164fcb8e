import { LedgerError, PAYMENT_CONSENTS_LISTED_MAX, checkPaymentTerms, listPaymentConsents } from '@payapi/ledger';
import type { Knex } from 'knex';
import { errors } from 'oidc-provider';
import type {
  AuthorizationDetailsForIntrospection, AuthorizationDetail, Client, InteractionResults, KoaContextWithOIDC,
  RichAuthorizationRequestsActiveConfiguration,
} from 'oidc-provider';
import {
  PAYMENTS_SCOPE, PAYMENT_DETAIL_TYPES, isWithinGranted, parseAuthorizationDetails, toPaymentTermsInput,
} from './authorization-details.ts';

/** The feature's configuration with introspection enabled (the helper for introspection is then required). */
type PaymentRarConfiguration = RichAuthorizationRequestsActiveConfiguration & { authorizationDetailsForIntrospection: AuthorizationDetailsForIntrospection };

/** Where the consent page's Allow puts the new consent's id in the interaction result. */
export const PAYMENT_CONSENT_RESULT = 'payment_consent';

/**
 * oidc-provider's `richAuthorizationRequests` feature (RFC 9396) for the contract's payment
 * consents, on the database's ledger. Stable in oidc-provider 9.13 (no `ack`; the helpers are the
 * `authorizationDetailsFor…` three). Needs `resourceIndicators` (the one resource API).
 *
 * - At the authorization request and PAR (RFC 9126): each element is validated by
 *   {@link validatePaymentDetail}; any fault is `invalid_authorization_details`.
 * - The consent page (interactions/routes.ts, payments/payment-consents.ts) creates the ledger's consent on Allow and
 *   adds the element plus `consent_id` and `debtor_account` to the grant (`grant.addRar`).
 * - The authorization code stores exactly the element this request authorised (found by the
 *   consent id in the interaction result), never other elements the grant holds from earlier.
 * - The token endpoint gives the code's (or refresh token's) elements; `authorization_details`
 *   there may only repeat them (RFC 9396 §6.1), never widen them. A refresh leaves out consents the
 *   user revoked since. Client credentials get none.
 * - Introspection answers the token's elements, without revoked consents (a refresh token; a JWT
 *   access token carrying one is inactive instead: tokens/jwt-token-endpoints.ts).
 */
export function paymentRichAuthorizationRequests(db: Knex): PaymentRarConfiguration {
  const validate = (ctx: KoaContextWithOIDC, detail: AuthorizationDetail, client: Client) => validatePaymentDetail(db, ctx, detail, client);
  return {
    enabled: true,
    types: Object.fromEntries(PAYMENT_DETAIL_TYPES.map((type) => [type, { validate }])),
    authorizationDetailsForGrantSource: async (ctx) => detailsForAuthorizationCode(ctx),
    authorizationDetailsForAccessToken: async (ctx, _token, source, grantType) => detailsForAccessToken(db, ctx, source?.rar, grantType),
    authorizationDetailsForIntrospection: async (_ctx, token) => (token.rar ? withoutRevokedConsents(db, [...token.rar]) : undefined),
  };
}

/**
 * Validates one requested element at `/auth` and PAR: one element per request, scope
 * `payments:write` requested and allowed for the client, the contract's members only
 * (`toPaymentTermsInput`), and the ledger's rules for the terms (`checkPaymentTerms`: amounts with
 * exactly the currency's minor digits, an existing creditor account in that currency, `valid_until`
 * in the future, sane limits). At the token endpoint the elements are compared with what was
 * granted instead ({@link detailsForAccessToken}).
 *
 * @throws {errors.InvalidAuthorizationDetails} saying what is wrong
 */
export async function validatePaymentDetail(db: Knex, ctx: KoaContextWithOIDC, detail: AuthorizationDetail, client: Client): Promise<void> {
  if (ctx.oidc.route === 'token') return;
  const params = ctx.oidc.params ?? {};
  if (parseAuthorizationDetails(params.authorization_details).length !== 1) {
    throw new errors.InvalidAuthorizationDetails('ask for exactly one payment element per authorization request');
  }
  if (!String(params.scope ?? '').split(' ').includes(PAYMENTS_SCOPE)) {
    throw new errors.InvalidAuthorizationDetails(`payment authorization_details need the scope ${PAYMENTS_SCOPE}`);
  }
  if (client.scope !== undefined && !client.scope.split(' ').includes(PAYMENTS_SCOPE)) {
    throw new errors.InvalidAuthorizationDetails(`this client is not allowed to ask for payments (scope ${PAYMENTS_SCOPE})`);
  }
  try {
    await checkPaymentTerms(db, toPaymentTermsInput(detail));
  } catch (error) {
    if (error instanceof LedgerError) throw new errors.InvalidAuthorizationDetails(`authorization_details[0]: ${error.message}`);
    throw error;
  }
}

/**
 * What the authorization code stores: the one element the user authorised in this request, by the
 * consent id the consent page put in the interaction result. A request without
 * `authorization_details` stores none, whatever the grant holds from earlier payments.
 *
 * @throws {errors.InvalidAuthorizationDetails} when the request asked for details that were not authorised
 */
function detailsForAuthorizationCode(ctx: KoaContextWithOIDC): AuthorizationDetail[] | undefined {
  if (ctx.oidc.params?.authorization_details === undefined) return undefined;
  const consentId = authorisedConsentId(ctx.oidc.result);
  const [requested] = parseAuthorizationDetails(ctx.oidc.params.authorization_details);
  const granted = consentId ? ctx.oidc.grant?.rar?.find((detail) => detail.consent_id === consentId) : undefined;
  if (!requested || !granted || !isWithinGranted(requested, granted)) {
    throw new errors.InvalidAuthorizationDetails('the requested payment was not authorised');
  }
  return [granted];
}

/**
 * What an access token carries (and the token response answers): the grant source's elements, or
 * the subset the client names with `authorization_details` at the token endpoint (each must be
 * one of them, as granted or as requested). On a refresh, consents the user revoked are left out.
 *
 * @throws {errors.InvalidAuthorizationDetails} for client credentials, or an element that was not granted
 */
async function detailsForAccessToken(
  db: Knex, ctx: KoaContextWithOIDC, granted: readonly AuthorizationDetail[] | undefined, grantType: string,
): Promise<AuthorizationDetail[] | undefined> {
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    throw new errors.InvalidAuthorizationDetails('authorization_details are only given with the authorization code flow');
  }
  let details = [...(granted ?? [])];
  const asked = ctx.oidc.params?.authorization_details;
  if (asked !== undefined) {
    details = parseAuthorizationDetails(asked).map((element) => {
      const match = details.find((detail) => isWithinGranted(element, detail));
      if (!match) throw new errors.InvalidAuthorizationDetails('authorization_details may only repeat what the user authorised');
      return match;
    });
  }
  if (grantType === 'refresh_token' && details.length > 0) details = await withoutRevokedConsents(db, details);
  return details.length > 0 ? details : undefined;
}

/** The elements whose consent the user has not revoked (the resource API refuses those anyway). */
async function withoutRevokedConsents(db: Knex, details: AuthorizationDetail[]): Promise<AuthorizationDetail[]> {
  const revoked = await revokedConsentIds(db, details);
  return details.filter((detail) => !revoked.has(detail.consent_id as string));
}

/** True when one of the elements names a payment consent that was revoked. */
export async function carriesRevokedConsent(db: Knex, details: readonly AuthorizationDetail[]): Promise<boolean> {
  return (await revokedConsentIds(db, details)).size > 0;
}

async function revokedConsentIds(db: Knex, details: readonly AuthorizationDetail[]): Promise<Set<string>> {
  const ids = details.map((detail) => detail.consent_id).filter((id): id is string => typeof id === 'string').slice(0, PAYMENT_CONSENTS_LISTED_MAX);
  if (ids.length === 0) return new Set();
  return new Set((await listPaymentConsents(db, ids)).filter((consent) => consent.status === 'revoked').map((consent) => consent.id));
}

/** The consent id the consent page's Allow put in the interaction result, if any. */
export function authorisedConsentId(result: InteractionResults | undefined): string | undefined {
  const entry = result?.[PAYMENT_CONSENT_RESULT] as { consentId?: unknown } | undefined;
  return typeof entry?.consentId === 'string' ? entry.consentId : undefined;
}
