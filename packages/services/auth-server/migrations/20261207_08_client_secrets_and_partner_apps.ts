import type { Knex } from 'knex';

/**
 * Client secrets at rest as SHA-256 hashes only, with one rotation overlap, and the apps developers
 * register on the developer portal (docs/authorization-server.md, "Client secrets").
 *
 * `auth.client_secrets`: one row per confidential client. `secret_sha256` is SHA-256 of the current
 * secret's UTF-8 bytes; after a rotation the replaced one is `previous_secret_sha256` and keeps
 * working until `previous_secret_expires_at`. oidc-provider's `client_secret` in the Client payload
 * becomes a random placeholder (`hashed-at-rest:` + 64 hex digits) that is never compared: the
 * provider's `compareClientSecret` checks the hashes instead (src/clients/compare-client-secret.ts).
 * Secrets already stored in plain text are moved here by this migration.
 *
 * `auth.partner_apps`: the portal's apps (`owner` is the portal's developer id, opaque here) and
 * their review: a client whose row says `pending_review` is unknown to the provider (the adapter's
 * Client lookup skips it) until `approveClient`. Clients made by the CLI or dynamic registration
 * have no row and are approved.
 *
 * Both tables notify `auth_client_changed` like the Client rows (migration 20261130_05), so every
 * server's client cache drops a client whose secret or review changed. Two partial indexes let an
 * app's deletion find its grants and its client-credentials token records without a full scan.
 *
 * Down: the hashes cannot be turned back into secrets; every confidential client then needs a new
 * secret (`clients:create` with the same id replaces its metadata).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth.client_secrets (
      client_id text PRIMARY KEY,
      secret_sha256 bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
      previous_secret_sha256 bytea CHECK (octet_length(previous_secret_sha256) = 32),
      previous_secret_expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      rotated_at timestamptz,
      CONSTRAINT client_secrets_previous_complete CHECK ((previous_secret_sha256 IS NULL) = (previous_secret_expires_at IS NULL))
    );
    COMMENT ON TABLE auth.client_secrets IS 'SHA-256 of each confidential client''s secret (never the secret); the previous one works until previous_secret_expires_at';

    CREATE TABLE auth.partner_apps (
      client_id text PRIMARY KEY,
      owner text NOT NULL CHECK (char_length(owner) BETWEEN 1 AND 255),
      status text NOT NULL CHECK (status IN ('pending_review', 'approved')),
      created_at timestamptz NOT NULL DEFAULT now(),
      reviewed_at timestamptz
    );
    COMMENT ON TABLE auth.partner_apps IS 'apps registered on the developer portal: owner (the portal''s developer id) and review status; pending_review clients are invisible to the provider';

    CREATE INDEX oidc_store_grant_client_idx ON auth.oidc_store ((payload->>'clientId')) WHERE model = 'Grant';
    CREATE INDEX access_tokens_client_credentials_idx ON auth.access_tokens (client_id) WHERE grant_id IS NULL;

    CREATE TRIGGER client_secrets_changed AFTER INSERT OR UPDATE OR DELETE ON auth.client_secrets
      FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER client_secrets_truncated AFTER TRUNCATE ON auth.client_secrets
      FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER partner_apps_changed AFTER INSERT OR UPDATE OR DELETE ON auth.partner_apps
      FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER partner_apps_truncated AFTER TRUNCATE ON auth.partner_apps
      FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();

    INSERT INTO auth.client_secrets (client_id, secret_sha256)
      SELECT id, sha256(convert_to(payload->>'client_secret', 'UTF8')) FROM auth.oidc_store
       WHERE model = 'Client' AND jsonb_typeof(payload->'client_secret') = 'string'
         AND payload->>'client_secret' NOT LIKE 'hashed-at-rest:%';
    UPDATE auth.oidc_store
       SET payload = jsonb_set(payload, '{client_secret}', to_jsonb('hashed-at-rest:'
             || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')))
     WHERE model = 'Client' AND jsonb_typeof(payload->'client_secret') = 'string'
       AND payload->>'client_secret' NOT LIKE 'hashed-at-rest:%';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX auth.access_tokens_client_credentials_idx;
    DROP INDEX auth.oidc_store_grant_client_idx;
    DROP TABLE auth.partner_apps;
    DROP TABLE auth.client_secrets;
  `);
}
