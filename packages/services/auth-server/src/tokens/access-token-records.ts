import type { Knex } from 'knex';
import { batchedRoundTrips } from '../adapter/round-trip-batches.ts';

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

/**
 * Records issued JWT access tokens, in one statement; a `jti` already recorded (or twice in
 * `records`) is kept as it was.
 *
 * @param records 1 or more records; `expiresAt` in seconds since the epoch
 */
export async function recordAccessTokens(db: Knex, records: readonly AccessTokenRecord[]): Promise<void> {
  // The driver sends a JavaScript null in an array as NULL (knex's types know no nullable arrays).
  const columns: Knex.Value[] = [
    records.map((record) => record.jti), records.map((record) => record.clientId), records.map((record) => record.accountId) as string[],
    records.map((record) => record.grantId) as string[], records.map((record) => record.scope), records.map((record) => record.expiresAt),
  ];
  await db.raw(
    `INSERT INTO auth.access_tokens (jti, client_id, account_id, grant_id, scope, expires_at)
     SELECT r.jti, r.client_id, r.account_id, r.grant_id, r.scope, to_timestamp(r.expires_at)
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[])
            AS r(jti, client_id, account_id, grant_id, scope, expires_at)
     ON CONFLICT (jti) DO NOTHING`,
    columns,
  );
}

/** Records one issued JWT access token; see {@link createAccessTokenRecorder}. */
export type AccessTokenRecorder = (record: AccessTokenRecord) => Promise<void>;

/**
 * Records access tokens as they are issued, the tokens of concurrent requests in one INSERT and one
 * commit per round trip (`batchedRoundTrips`, group commit): each call resolves once its own record
 * is committed, so a token is still recorded before its client receives it. When a batch of several
 * fails, each of its records is tried alone, so a record the database refuses fails its own request
 * only.
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 * @returns the recorder; it rejects with the database's error for its own record
 */
export function createAccessTokenRecorder(db: Knex): AccessTokenRecorder {
  return batchedRoundTrips<AccessTokenRecord, void>(async (records) => {
    try {
      await recordAccessTokens(db, records);
      return records.map(() => undefined);
    } catch (error) {
      if (records.length === 1) throw error;
      return Promise.all(records.map((record) => recordAccessTokens(db, [record]).then(
        () => undefined,
        (alone: unknown) => (alone instanceof Error ? alone : new Error(String(alone))),
      )));
    }
  });
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
