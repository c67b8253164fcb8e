import type { Knex } from 'knex';

/**
 * Signing keys, the records of issued JWT access tokens (oidc-provider keeps no trace of them),
 * the accounts each grant was consented for, and which clients are resource servers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth.signing_keys (
      kid text PRIMARY KEY,
      alg text NOT NULL CHECK (alg IN ('ES256', 'PS256')),
      public_jwk jsonb NOT NULL,
      private_jwk_sealed text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    COMMENT ON COLUMN auth.signing_keys.private_jwk_sealed IS 'AES-256-GCM with a key derived from AUTH_KEY_ENCRYPTION_SECRET';

    CREATE TABLE auth.access_tokens (
      jti text PRIMARY KEY,
      client_id text NOT NULL,
      account_id text,
      grant_id text,
      scope text NOT NULL DEFAULT '',
      issued_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX access_tokens_grant_idx ON auth.access_tokens (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX access_tokens_expiry_idx ON auth.access_tokens (expires_at);

    CREATE TABLE auth.grant_accounts (
      grant_id text PRIMARY KEY,
      account_subject text NOT NULL,
      client_id text NOT NULL,
      account_ids text[] NOT NULL,
      scope text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX grant_accounts_subject_idx ON auth.grant_accounts (account_subject);

    CREATE TABLE auth.resource_servers (
      client_id text PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- The grant-state check, as a stable SQL interface for the resource API (same database,
    -- no HTTP hop): a grant is active while oidc-provider's Grant row exists and has not expired.
    -- Every revocation path (connected-apps page, RFC 7009, refresh-token or code reuse) deletes it.
    CREATE FUNCTION auth.grant_is_active(p_grant_id text) RETURNS boolean
      LANGUAGE sql STABLE AS $fn$
        SELECT EXISTS (SELECT 1 FROM auth.oidc_store
                        WHERE model = 'Grant' AND id = p_grant_id
                          AND (expires_at IS NULL OR expires_at > now()))
      $fn$;

    -- An issued JWT access token is active while recorded, not revoked, not expired, and its
    -- grant (client-credentials tokens have none) is active.
    CREATE FUNCTION auth.access_token_is_active(p_jti text) RETURNS boolean
      LANGUAGE sql STABLE AS $fn$
        SELECT EXISTS (SELECT 1 FROM auth.access_tokens t
                        WHERE t.jti = p_jti AND t.revoked_at IS NULL AND t.expires_at > now()
                          AND (t.grant_id IS NULL OR auth.grant_is_active(t.grant_id)))
      $fn$;

    -- The accounts an active token may use now: the grant's current consent (a later consent to the
    -- same grant may have unticked some), or an empty array for client-credentials tokens; NULL when
    -- the token is not active. The resource API calls it on money movement.
    CREATE FUNCTION auth.access_token_account_ids(p_jti text) RETURNS text[]
      LANGUAGE sql STABLE AS $fn$
        SELECT CASE WHEN auth.access_token_is_active(p_jti) THEN coalesce(
          (SELECT g.account_ids FROM auth.access_tokens t JOIN auth.grant_accounts g ON g.grant_id = t.grant_id
            WHERE t.jti = p_jti), '{}'::text[]) END
      $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION auth.access_token_account_ids(text);
    DROP FUNCTION auth.access_token_is_active(text);
    DROP FUNCTION auth.grant_is_active(text);
    DROP TABLE auth.resource_servers;
    DROP TABLE auth.grant_accounts;
    DROP TABLE auth.access_tokens;
    DROP TABLE auth.signing_keys;
  `);
}
