import { randomBytes } from 'node:crypto';
import { appendEvent } from '@payapi/events';
import {
  PAYMENT_CONSENTS_LISTED_MAX, createPaymentConsent, getPaymentConsent, listPaymentConsents, revokePaymentConsent, toWirePaymentConsent,
} from '@payapi/ledger';
import type { PaymentConsent, PaymentTerms } from '@payapi/ledger';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { AuthorizationDetail } from 'oidc-provider';
import { grantedDetail } from './authorization-details.ts';
import { savePaymentConsentGrant } from './payment-consent-grants.ts';

type Grant = InstanceType<Provider['Grant']>;

/** Input of {@link authorisePaymentConsent}: what the user authorised, from which account, for whom. */
export interface AuthorisePaymentInput {
  terms: PaymentTerms;
  /** The account the user chose to pay from (`acc_…`); the ledger checks it is theirs and in the currency. */
  debtorAccountId: string;
  /** The user (`sub`). */
  accountSubject: string;
  clientId: string;
  /** The grant that will hold the consent's authorization details. */
  grantId: string;
}

/**
 * The consent page's Allow for a payment, in one transaction: the ledger's consent (status
 * `authorised`), its link to grant, client and user (`auth.payment_consent_grants`), and the
 * `payment_consent.authorised` event to the client (docs/webhooks.md).
 *
 * @returns the new consent (`pc_…`)
 * @throws {LedgerError} from `createPaymentConsent`: `account_not_found` (the debtor account is not
 *   the user's), `currency_mismatch`, `same_account`, `invalid_request` (e.g. `valid_until` passed meanwhile)
 */
export async function authorisePaymentConsent(db: Knex, input: AuthorisePaymentInput): Promise<PaymentConsent> {
  return db.transaction(async (trx) => {
    const consent = await createPaymentConsent(trx, { ...input.terms, debtorAccountId: input.debtorAccountId, debtorOwnerSubject: input.accountSubject });
    await savePaymentConsentGrant(trx, { consentId: consent.id, grantId: input.grantId, clientId: input.clientId, accountSubject: input.accountSubject });
    await appendEvent(trx, { type: 'payment_consent.authorised', clientId: input.clientId, data: toWirePaymentConsent(consent) });
    return consent;
  });
}

/** Most authorization details elements one grant keeps (the newest). */
const GRANT_PAYMENT_DETAILS_MAX = 100;

/**
 * Allow on a payment: creates the consent for `grant` ({@link authorisePaymentConsent}) and adds the
 * element plus `consent_id` and `debtor_account` to the grant (`grant.addRar`, RFC 9396 §2), which
 * the caller then saves. The consent, its link and its event commit before the grant is saved, so
 * a refusal leaves nothing behind: a new grant gets its id here (oidc-provider's own shape, 256
 * random bits) instead of at its first save. A grant reused payment after payment keeps only its
 * newest elements: each code takes its own element from it once, and tokens keep their own copy.
 *
 * @returns the new consent's id (`pc_…`)
 * @throws {LedgerError} as {@link authorisePaymentConsent}; the grant is then unchanged
 */
export async function addPaymentConsentToGrant(
  db: Knex, grant: Grant, input: Omit<AuthorisePaymentInput, 'grantId'> & { requested: AuthorizationDetail },
): Promise<string> {
  grant.jti ||= randomBytes(32).toString('base64url');
  const consent = await authorisePaymentConsent(db, { ...input, grantId: grant.jti });
  grant.addRar(grantedDetail(input.requested, consent.id, input.debtorAccountId));
  if (grant.rar && grant.rar.length > GRANT_PAYMENT_DETAILS_MAX) grant.rar = grant.rar.slice(-GRANT_PAYMENT_DETAILS_MAX);
  return consent.id;
}

/**
 * Revokes one of the user's payment consents, with the `payment_consent.revoked` event to its
 * client, in one transaction. Only an `authorised` consent changes (a consumed, expired or revoked
 * one stays as it is, and no event is sent); the link row is locked first, so two revocations at
 * once send one event. The ledger's NOTIFY makes the resource API refuse the consent's tokens at once.
 *
 * @param accountSubject the signed-in user: another user's consent is left alone
 * @returns true when this call revoked it
 */
export async function revokeUserPaymentConsent(db: Knex, consentId: string, accountSubject: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: Array<{ client_id: string }> }>(
      `SELECT client_id FROM auth.payment_consent_grants WHERE consent_id = ? AND account_subject = ? FOR UPDATE`, [consentId, accountSubject]);
    const link = rows[0];
    if (!link) return false;
    if ((await getPaymentConsent(trx, consentId)).status !== 'authorised') return false;
    return revokeLinkedConsent(trx, consentId, link.client_id);
  });
}

/**
 * Revokes the authorised payment consents held by grants that are ending, in the transaction that
 * deletes the grants (see `deleteWithGrantEvents`), each with one `payment_consent.revoked` event to
 * its client: so a consent never outlives its grant, however the grant ends (the user, the client's
 * RFC 7009 revocation, a reused code or refresh token, the operator, a deleted partner app). The
 * link rows are locked in consent id order first, as {@link revokeUserPaymentConsent} locks them,
 * so a consent revoked by both at once is reported once; consumed, expired and already revoked
 * consents are left as they are.
 *
 * @param trx the transaction that deletes the grants
 * @returns the ids of the consents revoked now
 */
export async function revokePaymentConsentsOfGrants(trx: Knex.Transaction, grantIds: readonly string[]): Promise<string[]> {
  if (grantIds.length === 0) return [];
  const { rows } = await trx.raw<{ rows: Array<{ consent_id: string; client_id: string }> }>(
    `SELECT consent_id, client_id FROM auth.payment_consent_grants WHERE grant_id = ANY (?::text[]) ORDER BY consent_id FOR UPDATE`,
    [[...grantIds]]);
  const clientOf = new Map(rows.map((row) => [row.consent_id, row.client_id]));
  const revoked: string[] = [];
  for (let start = 0; start < rows.length; start += PAYMENT_CONSENTS_LISTED_MAX) {
    const ids = rows.slice(start, start + PAYMENT_CONSENTS_LISTED_MAX).map((row) => row.consent_id);
    for (const consent of await listPaymentConsents(trx, ids)) {
      if (consent.status !== 'authorised') continue;
      if (await revokeLinkedConsent(trx, consent.id, clientOf.get(consent.id) as string)) revoked.push(consent.id);
    }
  }
  return revoked;
}

/**
 * The ledger's revocation of a consent found `authorised` under its locked link row, and its
 * `payment_consent.revoked` event when the ledger did revoke it: the consent may have been paid
 * (single payment) or recorded expired since it was read, and then it stays so and nothing is sent.
 */
async function revokeLinkedConsent(trx: Knex.Transaction, consentId: string, clientId: string): Promise<boolean> {
  const after = await revokePaymentConsent(trx, consentId);
  if (after.status !== 'revoked') return false;
  await appendEvent(trx, { type: 'payment_consent.revoked', clientId, data: toWirePaymentConsent(after) });
  return true;
}
