import type { Knex } from 'knex';

/**
 * Revocation at once, reads included (docs/resource-api.md, "Revocation at once"): the resource API
 * keeps the `jti`s of revoked access tokens in memory, fed by notifications from this schema, so it
 * refuses a revoked grant's tokens on every call within a second without asking the database on
 * every read.
 *
 * - `NOTIFY auth_access_token_revoked, '<jti>'` when a recorded access token becomes revoked
 *   (`revoked_at` set: RFC 7009 revocation of that token, or of its grant by `revokeAccessTokensOfGrant`),
 *   and for every unexpired, unrevoked token of a Grant whose row leaves `auth.oidc_store` (every path that ends a grant
 *   deletes that row: the user's revocation, RFC 7009 of a refresh token, code or refresh-token reuse,
 *   the operator). Sent when the transaction commits, never for a change that rolls back.
 * - `auth.revoked_access_tokens()`: the unexpired recorded tokens that are no longer active (revoked,
 *   or their grant gone or expired), with their expiry, for a listener that (re)connects and must
 *   catch up with what it missed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION auth.notify_access_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_TABLE_NAME = 'access_tokens' THEN
        PERFORM pg_notify('auth_access_token_revoked', NEW.jti);
      ELSE
        PERFORM pg_notify('auth_access_token_revoked', t.jti)
           FROM auth.access_tokens t
          WHERE t.grant_id = OLD.id AND t.revoked_at IS NULL AND t.expires_at > now();
      END IF;
      RETURN NULL;
    END
    $fn$;
    CREATE TRIGGER access_tokens_revoked AFTER UPDATE OF revoked_at ON auth.access_tokens
      FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
      EXECUTE FUNCTION auth.notify_access_token_revoked();
    CREATE TRIGGER oidc_store_grant_deleted AFTER DELETE ON auth.oidc_store
      FOR EACH ROW WHEN (OLD.model = 'Grant')
      EXECUTE FUNCTION auth.notify_access_token_revoked();

    CREATE FUNCTION auth.revoked_access_tokens() RETURNS TABLE (jti text, expires_at timestamptz)
      LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN QUERY
        SELECT t.jti, t.expires_at FROM auth.access_tokens t
         WHERE t.expires_at > now() AND NOT auth.access_token_is_active(t.jti);
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION auth.revoked_access_tokens();
    DROP TRIGGER oidc_store_grant_deleted ON auth.oidc_store;
    DROP TRIGGER access_tokens_revoked ON auth.access_tokens;
    DROP FUNCTION auth.notify_access_token_revoked();
  `);
}
