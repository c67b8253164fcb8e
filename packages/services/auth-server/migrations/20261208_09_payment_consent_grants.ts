import type { Knex } from 'knex';

/**
 * `auth.payment_consent_grants`: which grant, client and user each payment consent belongs to
 * (docs/authorization-server.md, "Payment consents"). The consent itself (its terms, status and
 * what was spent) is the ledger's (`ledger.payment_consents`), which knows no OAuth; this row is
 * the authorization server's side of it, written in the transaction that creates the consent when
 * the user presses Allow. The connected-apps page lists a user's consents per app from here, and a
 * grant's consents are found here when the app is disconnected.
 *
 * Rows stay when their grant ends (the consent's history stays readable); nothing references
 * another schema, so the ledger's and this schema's migrations stay independent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth.payment_consent_grants (
      consent_id text PRIMARY KEY CHECK (consent_id ~ '^pc_[0-9a-f]{32}$'),
      grant_id text NOT NULL,
      client_id text NOT NULL,
      account_subject text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON TABLE auth.payment_consent_grants IS 'The grant, client and user (sub) of each payment consent (ledger.payment_consents)';
    CREATE INDEX payment_consent_grants_grant_idx ON auth.payment_consent_grants (grant_id);
    CREATE INDEX payment_consent_grants_subject_idx ON auth.payment_consent_grants (account_subject, client_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE auth.payment_consent_grants;`);
}
