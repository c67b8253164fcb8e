import type { Knex } from 'knex';

/**
 * `auth.account_readers(account_ids)`: which clients may read each of these accounts' history now,
 * as `(client_id, account_id)` rows: every client holding an active grant (not revoked, not
 * expired) that has the account among its consented accounts and the scope `transactions:read`.
 * A client with several such grants appears once per account. The resource API asks it inside the
 * transaction that books a transfer, to append one `transaction.booked` event per reader
 * (docs/webhooks.md), so a grant revoked before the booking is not among them.
 *
 * A GIN index on the consented account ids keeps it one index probe per account, whatever the
 * number of grants.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX grant_accounts_account_ids_idx ON auth.grant_accounts USING gin (account_ids);
    CREATE FUNCTION auth.account_readers(p_account_ids text[]) RETURNS TABLE (client_id text, account_id text)
      LANGUAGE sql STABLE AS $fn$
        SELECT DISTINCT g.client_id, a.account_id
          FROM unnest(p_account_ids) AS a(account_id)
          JOIN auth.grant_accounts g ON g.account_ids @> ARRAY[a.account_id]
         WHERE 'transactions:read' = ANY (string_to_array(g.scope, ' '))
           AND auth.grant_is_active(g.grant_id)
      $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION auth.account_readers(text[]);
    DROP INDEX auth.grant_accounts_account_ids_idx;
  `);
}
