import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import type { Knex } from 'knex';
import { seal, unseal } from '@payapi/platform';

/**
 * How long a superseded key stays published after its successor appears, in seconds: longer than
 * any token it signed lives (access tokens 300 s, ID tokens 3600 s), with a wide margin.
 */
export const KEY_RETENTION_SECONDS = 24 * 60 * 60;

/** A private signing JWK as oidc-provider's `jwks` option takes it. */
export type PrivateJwk = JWK & { kid: string; alg: string; use: 'sig' };

/**
 * Creates a new ES256 signing key and stores it, its private part sealed. The newest key signs;
 * older ones stay published for {@link KEY_RETENTION_SECONDS} so tokens they signed still verify.
 *
 * @returns the new key's `kid` (its RFC 7638 thumbprint)
 */
export async function createSigningKey(db: Knex, sealingKey: Buffer): Promise<{ kid: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const privateJwk: PrivateJwk = { ...jwk, kid, alg: 'ES256', use: 'sig' };
  const { d: _secret, ...publicJwk } = privateJwk;
  await db.raw(
    `INSERT INTO auth.signing_keys (kid, alg, public_jwk, private_jwk_sealed) VALUES (?, 'ES256', ?::jsonb, ?)`,
    [kid, JSON.stringify(publicJwk), seal(sealingKey, JSON.stringify(privateJwk))],
  );
  return { kid };
}

/**
 * The signing keys to load into the provider, newest (the signing one) first, then every older key
 * still within its retention. Creates the first key when there is none.
 *
 * @throws {Error} when a key cannot be unsealed (wrong AUTH_KEY_ENCRYPTION_SECRET)
 */
export async function loadSigningKeys(db: Knex, sealingKey: Buffer): Promise<PrivateJwk[]> {
  let rows = await publishedKeys(db);
  if (rows.length === 0) {
    await createSigningKey(db, sealingKey);
    rows = await publishedKeys(db);
  }
  return rows.map((row) => JSON.parse(unseal(sealingKey, row.private_jwk_sealed)) as PrivateJwk);
}

/** A cheap fingerprint of the key set (count and newest creation), to notice a rotation by another process. */
export async function signingKeysVersion(db: Knex): Promise<string> {
  const { rows } = await db.raw<{ rows: Array<{ version: string }> }>(
    `SELECT count(*) || ':' || coalesce(max(created_at)::text, '') AS version FROM auth.signing_keys`);
  return rows[0]?.version ?? '';
}

async function publishedKeys(db: Knex): Promise<Array<{ kid: string; private_jwk_sealed: string }>> {
  // A key is published while it is the newest, or while its successor is younger than the retention.
  const { rows } = await db.raw<{ rows: Array<{ kid: string; private_jwk_sealed: string }> }>(
    `SELECT kid, private_jwk_sealed FROM (
       SELECT kid, private_jwk_sealed, created_at,
              lag(created_at) OVER (ORDER BY created_at DESC, kid DESC) AS successor_created_at
         FROM auth.signing_keys) k
      WHERE successor_created_at IS NULL OR successor_created_at > now() - make_interval(secs => ?)
      ORDER BY created_at DESC, kid DESC`,
    [KEY_RETENTION_SECONDS],
  );
  return rows;
}
