import type { Knex } from 'knex';

/**
 * `auth.oidc_store`: every artefact oidc-provider persists through its adapter (sessions, grants,
 * codes, tokens, interactions, dynamically registered clients, replay-detection records…), one
 * row per (model, id), the payload as jsonb. See `src/adapter/knex-adapter.ts` for the contract.
 *
 * The lookup keys are generated from the payload, so they can never disagree with it:
 * - `grant_id` (for `revokeByGrantId`) only for the models oidc-provider revokes by grant, the same
 *   set its memory adapter indexes (`GRANTABLE_MODELS` in `src/adapter/models.ts`; a test checks
 *   the two agree). Other payloads may carry a `grantId` (an Interaction does) without being
 *   revoked with the grant.
 * - `uid` (for `findByUid`) only for Session, the one model looked up by uid.
 * - `user_code` (for `findByUserCode`, device flow) for any payload with a `userCode`.
 * A new grantable model in a later oidc-provider needs a migration that redefines `grant_id`.
 *
 * `expires_at` NULL means the row never expires. Expired rows are invisible to the adapter and are
 * deleted by `purgeExpired`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth.oidc_store (
      model text NOT NULL CHECK (model ~ '^[A-Za-z]{1,64}$'),
      id text NOT NULL CHECK (char_length(id) BETWEEN 1 AND 512),
      payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
      expires_at timestamptz,
      grant_id text GENERATED ALWAYS AS (
        CASE WHEN model IN ('AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
                            'BackchannelAuthenticationRequest', 'PreAuthorizedCode')
             THEN payload->>'grantId' END
      ) STORED,
      uid text GENERATED ALWAYS AS (CASE WHEN model = 'Session' THEN payload->>'uid' END) STORED,
      user_code text GENERATED ALWAYS AS (payload->>'userCode') STORED,
      PRIMARY KEY (model, id)
    );
    COMMENT ON TABLE auth.oidc_store IS 'oidc-provider adapter storage: one row per (model, id); rows past expires_at are dead and purged in batches';
    COMMENT ON COLUMN auth.oidc_store.expires_at IS 'NULL = never expires; otherwise upsert time + expiresIn seconds (+ the adapter''s clock tolerance)';
    CREATE INDEX oidc_store_grant_idx ON auth.oidc_store (grant_id) WHERE grant_id IS NOT NULL;
    CREATE INDEX oidc_store_uid_idx ON auth.oidc_store (model, uid) WHERE uid IS NOT NULL;
    CREATE INDEX oidc_store_user_code_idx ON auth.oidc_store (model, user_code) WHERE user_code IS NOT NULL;
    CREATE INDEX oidc_store_expiry_idx ON auth.oidc_store (expires_at) WHERE expires_at IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE auth.oidc_store');
}
