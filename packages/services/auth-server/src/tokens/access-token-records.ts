import type { Knex } from 'knex';

/**
 * oidc-provider keeps no trace of the JWT access tokens it issues (RFC 9068 tokens are
 * self-contained), yet introspection (RFC 7662), revocation (RFC 7009) and the resource API's
 * "is this grant still alive" check need one. Each JWT access token is recorded here, by `jti`,
 * while it is being issued (before the client receives it).
 */
export interface AccessTokenRecord {
  jti: string;
  clientId: string;
  /** The user (`sub`); null for client-credentials tokens. */
  accountId: string | null;
  /** The grant it was issued from; null for client-credentials tokens. */
  grantId: string | null;
  scope: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Records an issued JWT access token. A second record with the same `jti` is ignored. */
export async function recordAccessToken(db: Knex, record: AccessTokenRecord): Promise<void> {
  await db.raw(
    `INSERT INTO auth.access_tokens (jti, client_id, account_id, grant_id, scope, expires_at)
     VALUES (?, ?, ?, ?, ?, to_timestamp(?)) ON CONFLICT (jti) DO NOTHING`,
    [record.jti, record.clientId, record.accountId, record.grantId, record.scope, record.expiresAt],
  );
}

/**
 * @returns the record of an access token that is active now (recorded, not revoked, not expired,
 *   and its grant, if any, not revoked), or undefined
 */
export async function findActiveAccessToken(db: Knex, jti: string): Promise<AccessTokenRecord | undefined> {
  const { rows } = await db.raw<{ rows: Array<{ jti: string; client_id: string; account_id: string | null; grant_id: string | null; scope: string; expires_at: string }> }>(
    `SELECT jti, client_id, account_id, grant_id, scope, extract(epoch FROM expires_at)::bigint AS expires_at
       FROM auth.access_tokens WHERE jti = ? AND auth.access_token_is_active(jti)`,
    [jti],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { jti: row.jti, clientId: row.client_id, accountId: row.account_id, grantId: row.grant_id, scope: row.scope, expiresAt: Number(row.expires_at) };
}

/** Marks one access token revoked (RFC 7009). */
export async function revokeAccessToken(db: Knex, jti: string): Promise<void> {
  await db.raw(`UPDATE auth.access_tokens SET revoked_at = now() WHERE jti = ? AND revoked_at IS NULL`, [jti]);
}

/** Marks every access token of a grant revoked (the grant itself is removed by oidc-provider's models). */
export async function revokeAccessTokensOfGrant(db: Knex, grantId: string): Promise<void> {
  await db.raw(`UPDATE auth.access_tokens SET revoked_at = now() WHERE grant_id = ? AND revoked_at IS NULL`, [grantId]);
}

/** Deletes up to `batchSize` records of tokens expired for more than a day; returns how many. */
export async function purgeExpiredAccessTokens(db: Knex, batchSize = 1000): Promise<number> {
  const result = await db.raw<{ rowCount: number }>(
    `DELETE FROM auth.access_tokens WHERE jti IN (
       SELECT jti FROM auth.access_tokens WHERE expires_at < now() - interval '1 day' ORDER BY expires_at LIMIT ?)`,
    [batchSize],
  );
  return result.rowCount;
}
