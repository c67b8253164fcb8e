import type { Knex } from 'knex';

/** What a user consented to for one grant: which of their accounts the app may see and use. */
export interface GrantAccounts {
  grantId: string;
  /** The user (`sub`). */
  accountSubject: string;
  clientId: string;
  /** Ledger account ids (`acc_…`) chosen on the consent page. */
  accountIds: string[];
  /** Space-separated scopes granted. */
  scope: string;
  /** RFC 3339. */
  createdAt: string;
}

/**
 * Stores the accounts chosen for a grant, or on a later consent to the same grant replaces them;
 * the scopes add up, as the grant's own do (oidc-provider adds a later consent's scopes to the grant).
 */
export async function saveGrantAccounts(db: Knex, grant: Omit<GrantAccounts, 'createdAt'>): Promise<void> {
  await db.raw(
    `INSERT INTO auth.grant_accounts (grant_id, account_subject, client_id, account_ids, scope)
     VALUES (?, ?, ?, ?::text[], ?)
     ON CONFLICT (grant_id) DO UPDATE SET account_ids = EXCLUDED.account_ids, updated_at = now(),
       scope = (SELECT coalesce(string_agg(DISTINCT s, ' ' ORDER BY s), '')
                  FROM unnest(string_to_array(auth.grant_accounts.scope || ' ' || EXCLUDED.scope, ' ')) AS s WHERE s <> '')`,
    [grant.grantId, grant.accountSubject, grant.clientId, grant.accountIds, grant.scope],
  );
}

/** @returns the consented account ids of a grant (empty when none were recorded) */
export async function consentedAccountIds(db: Knex, grantId: string): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ account_ids: string[] }> }>(
    `SELECT account_ids FROM auth.grant_accounts WHERE grant_id = ?`, [grantId]);
  return rows[0]?.account_ids ?? [];
}

/** @returns the user's grants that are still active, newest first */
export async function listActiveGrants(db: Knex, accountSubject: string): Promise<GrantAccounts[]> {
  const { rows } = await db.raw<{ rows: Array<{ grant_id: string; account_subject: string; client_id: string; account_ids: string[]; scope: string; created_at: string }> }>(
    `SELECT grant_id, account_subject, client_id, account_ids, scope,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
       FROM auth.grant_accounts
      WHERE account_subject = ? AND auth.grant_is_active(grant_id)
      ORDER BY created_at DESC`,
    [accountSubject],
  );
  return rows.map((row) => ({
    grantId: row.grant_id, accountSubject: row.account_subject, clientId: row.client_id,
    accountIds: row.account_ids, scope: row.scope, createdAt: row.created_at,
  }));
}

/** Forgets a grant's consent record (after the grant was revoked). */
export async function deleteGrantAccounts(db: Knex, grantId: string): Promise<void> {
  await db.raw(`DELETE FROM auth.grant_accounts WHERE grant_id = ?`, [grantId]);
}
