import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { LedgerError, listAccounts } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import { consentedAccountIds, saveGrantAccounts } from '../consent/grant-accounts.ts';
import { addPaymentConsentToGrant, revokeUserPaymentConsent } from '../payments/payment-consents.ts';
import { authorizationRequestReference, recordRejectedPayment } from '../payments/rejected-payment.ts';
import { debtorAccountChoices, loadPaymentRequest } from '../payments/payment-request.ts';
import type { PaymentRequest } from '../payments/payment-request.ts';
import { PAYMENT_CONSENT_RESULT, authorisedConsentId } from '../payments/rich-authorization-requests.ts';
import { ACCOUNT_SCOPES, CLIENT_CREDENTIALS_ONLY_SCOPES, SCOPE_DESCRIPTIONS } from '../scopes.ts';
import { revokeGrant } from '../tokens/revoke-grant.ts';
import type { LoginThrottle } from '../users/index.ts';
import { renderErrorPage, renderPage } from '../views/render.ts';
import { signInFromForm } from '../views/sign-in-form.ts';

/** Form bodies only, small: a username and password, or up to 1000 account checkboxes (~50 bytes each). */
const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '64kb' });

/**
 * The interaction pages oidc-provider sends the browser to (`/interaction/:uid`): login, then
 * consent. Server-rendered, no JavaScript. Body parsing happens here only (oidc-provider parses
 * its own endpoints).
 */
export function interactionRoutes(provider: Provider, db: Knex, throttle: LoginThrottle): Router {
  const router = new Router();

  router.get('/interaction/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const client = await provider.Client.find(String(details.params.client_id));
    const clientName = client?.clientName ?? String(details.params.client_id);
    if (details.prompt.name === 'login') {
      renderPage(ctx, 'login', { action: `/interaction/${details.uid}/login`, clientName, error: null, username: '', csrfToken: null });
      return;
    }
    await renderConsent(ctx, details, clientName, null);
  });

  router.post('/interaction/:uid/login', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') throw new errors.InvalidRequest('this step is not a login');
    const client = await provider.Client.find(String(details.params.client_id));
    const user = await signInFromForm(ctx, db, throttle, { action: `/interaction/${details.uid}/login`, clientName: client?.clientName ?? null });
    if (!user) return;
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  router.post('/interaction/:uid/confirm', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'consent' || !details.session?.accountId) throw new errors.InvalidRequest('this step is not a consent');
    const accountId = details.session.accountId;
    const clientId = String(details.params.client_id);
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    const userAccounts = await listAccounts(db, accountId);
    const body = ctx.request.body as Record<string, unknown>;
    const chosen = formValues(body.account_ids);
    const accountIds = userAccounts.filter((account) => chosen.includes(account.id)).map((account) => account.id);
    const clientName = async () => (await provider.Client.find(clientId))?.clientName ?? clientId;
    const payment = await loadPaymentRequest(db, details.params.authorization_details);
    if (payment && !payment.valid) {
      // Valid at the request, not any more (valid_until passed meanwhile): the app hears why.
      await refusePayment(ctx, payment.problem);
      return;
    }
    if (requested.some((scope) => ACCOUNT_SCOPES.has(scope)) && accountIds.length === 0) {
      await renderConsent(ctx, details, await clientName(), { accounts: 'Choose at least one account to share, or Deny.' }, 400);
      return;
    }
    // The account to pay from: one of the user's own, in the payment's currency (checked here and
    // again by the ledger when it creates the consent), whatever the form claims.
    const debtor = payment && debtorAccountChoices(userAccounts, payment.terms).find((account) => account.id === body.debtor_account_id);
    if (payment && !debtor) {
      await renderConsent(ctx, details, await clientName(), { payment: `Choose the account to pay from (one of your ${payment.terms.currency} accounts), or Deny.` }, 400);
      return;
    }
    // A second Allow on the same interaction reuses the grant the first one made, instead of
    // leaving an orphan grant behind; a payment consent the first one made is revoked.
    const existingGrantId = details.grantId ?? earlierConsentGrantId(details);
    const earlierPayment = authorisedConsentId(details.result);
    if (earlierPayment) await revokeUserPaymentConsent(db, earlierPayment, accountId);
    const grant = existingGrantId
      ? (await provider.Grant.find(existingGrantId)) ?? new provider.Grant({ accountId, clientId })
      : new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const result: InteractionResults = {};
    if (payment && debtor) {
      try {
        const consentId = await addPaymentConsentToGrant(db, grant, { terms: payment.terms, requested: payment.requested, debtorAccountId: debtor.id, accountSubject: accountId, clientId });
        result[PAYMENT_CONSENT_RESULT] = { consentId };
      } catch (error) {
        // The terms stopped holding since the page was checked (valid_until passed this instant).
        if (!(error instanceof LedgerError)) throw error;
        await refusePayment(ctx, error.message);
        return;
      }
    }
    const grantId = await grant.save();
    result.consent = { grantId };
    // A request that shares no accounts (a payment only) keeps the accounts an earlier consent to this grant shared.
    const sharedAccountIds = existingGrantId && !requested.some((scope) => ACCOUNT_SCOPES.has(scope)) ? await consentedAccountIds(db, grantId) : accountIds;
    await saveGrantAccounts(db, { grantId, accountSubject: accountId, clientId, accountIds: sharedAccountIds, scope: requested.join(' ') });
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    // Deny after an Allow on the same interaction (two tabs, back button): the denial wins, and the
    // grant the Allow made is revoked rather than left connected for 90 days.
    const allowedGrantId = earlierConsentGrantId(details);
    if (allowedGrantId && allowedGrantId !== details.grantId) await revokeGrant(provider, db, allowedGrantId, 'user_revoked');
    const allowedPayment = authorisedConsentId(details.result);
    if (allowedPayment && details.session?.accountId) await revokeUserPaymentConsent(db, allowedPayment, details.session.accountId);
    const payment = await loadPaymentRequest(db, details.params.authorization_details);
    // Once per interaction: a second Deny (double click, back button) tells the app nothing new.
    const deniedBefore = (details.result as { error?: unknown } | undefined)?.error !== undefined;
    if (payment?.valid && !deniedBefore) {
      // oidc-provider keeps the pushed request's id on the interaction (`parJti`, not in its types), not its request_uri.
      const request = authorizationRequestReference(details.params, (details as { parJti?: unknown }).parJti);
      await recordRejectedPayment(db, String(details.params.client_id), payment.terms, request);
    }
    const result = { error: 'access_denied', error_description: 'The user denied the request' };
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  /** Ends the interaction with `invalid_authorization_details` (RFC 9396 §5) for the partner: the payment cannot be authorised any more. */
  async function refusePayment(ctx: Context, problem: string): Promise<void> {
    const result = { error: 'invalid_authorization_details', error_description: `the payment can no longer be authorised: ${problem}` };
    ctx.status = 303;
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  }

  async function renderConsent(
    ctx: Context,
    details: Awaited<ReturnType<Provider['interactionDetails']>>,
    clientName: string,
    errorsShown: { accounts?: string; payment?: string } | null,
    status = 200,
  ): Promise<void> {
    const accountId = details.session?.accountId as string;
    // A scope no user grants (webhooks:manage) is not offered: the grant would not hold it.
    const requested = String(details.params.scope ?? '').split(' ').filter((scope) => scope && !CLIENT_CREDENTIALS_ONLY_SCOPES.has(scope));
    const previously = details.grantId ? await consentedAccountIds(db, details.grantId) : [];
    const userAccounts = await listAccounts(db, accountId);
    const accounts = userAccounts.map((account) => ({
      id: account.id, name: account.name, currency: account.currency,
      checked: previously.length === 0 || previously.includes(account.id),
    }));
    const payment = await loadPaymentRequest(db, details.params.authorization_details);
    renderPage(ctx, 'consent', {
      clientName,
      scopes: requested.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      needsAccounts: requested.some((scope) => ACCOUNT_SCOPES.has(scope)),
      accounts,
      payment: payment && paymentView(payment, userAccounts),
      error: errorsShown?.accounts ?? null,
      paymentError: errorsShown?.payment ?? null,
      confirmAction: `/interaction/${details.uid}/confirm`,
      denyAction: `/interaction/${details.uid}/abort`,
    }, status);
  }

  return router;
}

/**
 * Turns oidc-provider's "no such interaction" (expired or already finished) into a page that says
 * so, instead of a bare error.
 */
export async function expiredInteractionPage(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  try {
    await next();
  } catch (error) {
    if (error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest) {
      renderErrorPage(ctx, {
        title: error instanceof errors.SessionNotFound ? 'This sign-in request has expired' : 'This request cannot be completed',
        message: error instanceof errors.SessionNotFound
          ? 'The sign-in took too long or was already finished.'
          : (error.error_description ?? 'The request is not valid.'),
        code: error.error,
        status: 400,
      });
      return;
    }
    throw error;
  }
}

/**
 * The payment part of the consent page: what is authorised in words, and one radio button per
 * account of the user that can pay it (checked when there is only one).
 */
function paymentView(payment: PaymentRequest, userAccounts: readonly Account[]) {
  if (!payment.valid) return { valid: false, problem: payment.problem };
  const choices = debtorAccountChoices(userAccounts, payment.terms);
  return {
    valid: true,
    type: payment.terms.type,
    summary: payment.description.summary,
    lines: payment.description.lines,
    currency: payment.terms.currency,
    debtorAccounts: choices.map((account) => ({ id: account.id, name: account.name, checked: choices.length === 1 })),
  };
}

/** The grant id an earlier Allow on this interaction stored in its result, if any. */
function earlierConsentGrantId(details: { result?: unknown }): string | undefined {
  const result = details.result as { consent?: { grantId?: unknown } } | undefined;
  return typeof result?.consent?.grantId === 'string' ? result.consent.grantId : undefined;
}

/** Most accounts one consent may list; more are ignored. */
const ACCOUNTS_PER_CONSENT_MAX = 1000;

/**
 * The values of a repeated form field. The body parser (qs) returns a string for one value, an
 * array for up to 20, and an object keyed "0", "1", … beyond that (its arrayLimit): all three count.
 */
function formValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  const items = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.values(value) : [];
  return items.filter((item): item is string => typeof item === 'string').slice(0, ACCOUNTS_PER_CONSENT_MAX);
}
