import { LedgerError, getAccount, listAccounts, listPaymentConsents } from '@payapi/ledger';
import type { PaymentConsent, PaymentConsentStatus } from '@payapi/ledger';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { listActiveGrants } from '../consent/grant-accounts.ts';
import type { GrantAccounts } from '../consent/grant-accounts.ts';
import { describePaymentTerms, describeSpending, formatUtc } from '../payments/describe-payment.ts';
import { consentIdsOfGrants, listActivePaymentConsentGrants } from '../payments/payment-consent-grants.ts';
import { revokeUserPaymentConsent } from '../payments/payment-consents.ts';
import { RESOURCE_SCOPES, OIDC_SCOPES, SCOPE_DESCRIPTIONS } from '../scopes.ts';
import { revokeGrant } from '../tokens/revoke-grant.ts';

/** One row of the connected-apps page: an app, whatever number of grants the user gave it. */
export interface ConnectedApp {
  clientId: string;
  clientName: string;
  /** Where its "Revoke access" form posts. */
  revokeAction: string;
  /** Every scope any of its grants holds, in the order of the scope table. */
  scopes: Array<{ name: string; description: string }>;
  /** Names of the accounts any of its grants shares, in the order of the user's accounts. */
  accounts: string[];
  /** When the user first connected it (RFC 3339). */
  since: string;
  payments: ConnectedPayment[];
}

/** A payment consent as the connected-apps page shows it. */
export interface ConnectedPayment {
  consentId: string;
  summary: string;
  lines: string[];
  /** "Authorised", "Paid", "Revoked" or "Expired". */
  status: string;
  /** The account it pays from, by name. */
  debtor: string;
  /** What a mandate spent in the current period of each limit. */
  spending: string[];
  authorisedAt: string;
  /** Where its "Revoke" form posts; null once it cannot change any more. */
  revokeAction: string | null;
  revokeLabel: string;
}

const STATUS_WORDS: Readonly<Record<PaymentConsentStatus, string>> = {
  authorised: 'Authorised', consumed: 'Paid', revoked: 'Revoked', expired: 'Expired',
};

const SCOPE_ORDER: readonly string[] = [...OIDC_SCOPES, ...RESOURCE_SCOPES];

/**
 * The user's connected apps, one per client (newest connection first): a client with several
 * grants (each `prompt=consent` on a new browser session makes one) is one app, its scopes and
 * accounts the union of its grants', with the payment consents its grants hold.
 */
export async function connectedApps(provider: Provider, db: Knex, accountSubject: string): Promise<ConnectedApp[]> {
  const grantsByClient = new Map<string, GrantAccounts[]>();
  for (const grant of await listActiveGrants(db, accountSubject)) {
    grantsByClient.set(grant.clientId, [...(grantsByClient.get(grant.clientId) ?? []), grant]);
  }
  const accountNames = new Map((await listAccounts(db, accountSubject)).map((account) => [account.id, account.name]));
  const paymentsByClient = await paymentConsentsByClient(db, accountSubject, accountNames);
  return Promise.all([...grantsByClient].map(async ([clientId, grants]) => {
    const scopes = new Set(grants.flatMap((grant) => grant.scope.split(' ').filter(Boolean)));
    const accountIds = new Set(grants.flatMap((grant) => grant.accountIds));
    return {
      clientId,
      clientName: (await provider.Client.find(clientId))?.clientName ?? clientId,
      revokeAction: `/account/apps/${encodeURIComponent(clientId)}/revoke`,
      scopes: [...scopes].sort((a, b) => scopeRank(a) - scopeRank(b))
        .map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      // In the order of the user's accounts; an id no longer among them (closed) by its id.
      accounts: [...[...accountNames].filter(([id]) => accountIds.has(id)).map(([, name]) => name),
        ...[...accountIds].filter((id) => !accountNames.has(id))],
      since: grants.map((grant) => grant.createdAt).sort()[0] as string,
      payments: paymentsByClient.get(clientId) ?? [],
    };
  }));
}

/**
 * "Revoke access" for one app: the user's authorised payment consents under its grants first (so
 * no payment can start meanwhile), then every grant the user gave it, with everything issued from them.
 */
export async function revokeApp(provider: Provider, db: Knex, accountSubject: string, clientId: string): Promise<void> {
  const grants = (await listActiveGrants(db, accountSubject)).filter((grant) => grant.clientId === clientId);
  for (const consentId of await consentIdsOfGrants(db, grants.map((grant) => grant.grantId))) {
    await revokeUserPaymentConsent(db, consentId, accountSubject);
  }
  for (const grant of grants) await revokeGrant(provider, db, grant.grantId, 'user_revoked');
}

async function paymentConsentsByClient(db: Knex, accountSubject: string, accountNames: ReadonlyMap<string, string>): Promise<Map<string, ConnectedPayment[]>> {
  const links = await listActivePaymentConsentGrants(db, accountSubject);
  const clientOf = new Map(links.map((link) => [link.consentId, link.clientId]));
  const consents = await listPaymentConsents(db, links.map((link) => link.consentId));
  const creditorNames = new Map<string, string>();
  const result = new Map<string, ConnectedPayment[]>();
  for (const consent of consents) {
    const clientId = clientOf.get(consent.id) as string;
    const creditor = creditorNames.get(consent.creditorAccountId) ?? await creditorName(db, consent.creditorAccountId);
    creditorNames.set(consent.creditorAccountId, creditor);
    result.set(clientId, [...(result.get(clientId) ?? []), describeConsent(consent, creditor, accountNames)]);
  }
  return result;
}

function describeConsent(consent: PaymentConsent, creditor: string, accountNames: ReadonlyMap<string, string>): ConnectedPayment {
  const { summary, lines } = describePaymentTerms(consent, creditor);
  return {
    consentId: consent.id,
    summary,
    lines,
    status: STATUS_WORDS[consent.status],
    debtor: accountNames.get(consent.debtorAccountId) ?? consent.debtorAccountId,
    spending: consent.status === 'authorised' ? describeSpending(consent) : [],
    authorisedAt: formatUtc(consent.createdAt),
    revokeAction: consent.status === 'authorised' ? `/account/payment-consents/${consent.id}/revoke` : null,
    revokeLabel: consent.type === 'payment_mandate' ? 'Revoke mandate' : 'Revoke payment',
  };
}

async function creditorName(db: Knex, accountId: string): Promise<string> {
  try {
    return (await getAccount(db, accountId)).name;
  } catch (error) {
    if (error instanceof LedgerError) return accountId;
    throw error;
  }
}

function scopeRank(scope: string): number {
  const rank = SCOPE_ORDER.indexOf(scope);
  return rank < 0 ? SCOPE_ORDER.length : rank;
}
