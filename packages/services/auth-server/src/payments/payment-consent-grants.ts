import type { Knex } from 'knex';

/** The authorization server's side of a payment consent: whose it is and which grant holds it. */
export interface PaymentConsentGrant {
  /** The ledger's consent id (`pc_…`). */
  consentId: string;
  grantId: string;
  clientId: string;
  /** The user (`sub`) who authorised it. */
  accountSubject: string;
}

/**
 * Records which grant, client and user a new payment consent belongs to. Call it with the
 * transaction that creates the consent (`createPaymentConsent`), so neither exists without the other.
 */
export async function savePaymentConsentGrant(db: Knex | Knex.Transaction, link: PaymentConsentGrant): Promise<void> {
  await db.raw(
    `INSERT INTO auth.payment_consent_grants (consent_id, grant_id, client_id, account_subject) VALUES (?, ?, ?, ?)`,
    [link.consentId, link.grantId, link.clientId, link.accountSubject],
  );
}

/** @returns the link of one consent, or undefined when this server did not record it */
export async function findPaymentConsentGrant(db: Knex | Knex.Transaction, consentId: string): Promise<PaymentConsentGrant | undefined> {
  const { rows } = await db.raw<{ rows: LinkRow[] }>(
    `SELECT consent_id, grant_id, client_id, account_subject FROM auth.payment_consent_grants WHERE consent_id = ?`, [consentId]);
  return rows[0] ? toLink(rows[0]) : undefined;
}

/**
 * The payment consents a user authorised under grants that are still active, newest first, at
 * most `limit` (the ledger reads at most 1000 at once).
 */
export async function listActivePaymentConsentGrants(db: Knex, accountSubject: string, limit = 1000): Promise<PaymentConsentGrant[]> {
  const { rows } = await db.raw<{ rows: LinkRow[] }>(
    `SELECT consent_id, grant_id, client_id, account_subject FROM auth.payment_consent_grants
      WHERE account_subject = ? AND auth.grant_is_active(grant_id)
      ORDER BY created_at DESC, consent_id LIMIT ?`,
    [accountSubject, limit],
  );
  return rows.map(toLink);
}

/** The consent ids held by these grants. */
export async function consentIdsOfGrants(db: Knex | Knex.Transaction, grantIds: readonly string[]): Promise<string[]> {
  if (grantIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: Array<{ consent_id: string }> }>(
    `SELECT consent_id FROM auth.payment_consent_grants WHERE grant_id = ANY (?::text[]) ORDER BY consent_id`, [[...grantIds]]);
  return rows.map((row) => row.consent_id);
}

interface LinkRow { consent_id: string; grant_id: string; client_id: string; account_subject: string }

function toLink(row: LinkRow): PaymentConsentGrant {
  return { consentId: row.consent_id, grantId: row.grant_id, clientId: row.client_id, accountSubject: row.account_subject };
}
