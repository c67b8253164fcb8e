import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * How client secrets are kept (docs/authorization-server.md, "Client secrets"): only SHA-256 of
 * each secret, in `auth.client_secrets` (migration 20261207_08). A generated secret carries 256
 * random bits, so a fast hash is enough: nobody can search that space, and a slow password hash
 * would only cost time on every token request. oidc-provider still needs a `client_secret` in the
 * client's metadata; it holds a random placeholder that is never compared (see
 * `useHashedClientSecrets`), so the database never holds anything a client could authenticate with.
 */

/** Start of the placeholder stored as oidc-provider's `client_secret`; a secret may not start with it. */
export const SECRET_PLACEHOLDER_PREFIX = 'hashed-at-rest:';

/** What a presented secret is checked against: hashes, and when the previous one stops working. */
export interface ClientSecretVerifiers {
  /** SHA-256 of the current secret (32 bytes). */
  current: Buffer;
  /** SHA-256 of the secret the last rotation replaced, while it still works; else null. */
  previous: Buffer | null;
  /** When `previous` stops working, ms since the epoch; null without one. */
  previousExpiresAtMs: number | null;
}

/** SHA-256 of the secret's UTF-8 bytes: what is stored. Computed at every authentication (one-shot: no Hash object). */
export function hashClientSecret(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** A new placeholder for oidc-provider's `client_secret`: the prefix and 256 random bits, never shown to anyone. */
export function newSecretPlaceholder(): string {
  return `${SECRET_PLACEHOLDER_PREFIX}${randomBytes(32).toString('hex')}`;
}

/** Whether a stored `client_secret` is a placeholder (the secret itself is hashed elsewhere). */
export function isSecretPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SECRET_PLACEHOLDER_PREFIX);
}

/** Makes `secret` the client's only secret (a new client, or one whose metadata is replaced): any previous one stops working. */
export async function replaceClientSecret(db: Knex, clientId: string, secret: string): Promise<void> {
  await db.raw(
    `INSERT INTO auth.client_secrets (client_id, secret_sha256) VALUES (?, ?)
     ON CONFLICT (client_id) DO UPDATE SET secret_sha256 = EXCLUDED.secret_sha256, previous_secret_sha256 = NULL,
       previous_secret_expires_at = NULL, created_at = now(), rotated_at = NULL`,
    [clientId, hashClientSecret(secret)],
  );
}

/** Forgets the client's secrets (a client that became public, or is deleted). */
export async function deleteClientSecrets(db: Knex, clientId: string): Promise<void> {
  await db.raw(`DELETE FROM auth.client_secrets WHERE client_id = ?`, [clientId]);
}

/**
 * The client's secret hashes, by the database clock: the previous one only while it still works.
 *
 * @returns undefined for a client without a secret (public, unknown)
 */
export async function loadClientSecretVerifiers(db: Knex, clientId: string): Promise<ClientSecretVerifiers | undefined> {
  const { rows } = await db.raw<{ rows: Array<{ current: Buffer; previous: Buffer | null; previous_expires_at_ms: number | null }> }>(
    `SELECT secret_sha256 AS current,
            CASE WHEN previous_secret_expires_at > now() THEN previous_secret_sha256 END AS previous,
            CASE WHEN previous_secret_expires_at > now() THEN (extract(epoch FROM previous_secret_expires_at) * 1000)::float8 END AS previous_expires_at_ms
       FROM auth.client_secrets WHERE client_id = ?`,
    [clientId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { current: row.current, previous: row.previous, previousExpiresAtMs: row.previous_expires_at_ms };
}

/**
 * Whether `presented` is the current secret, or the previous one before `nowMs` reaches its end.
 * Both hashes are compared in constant time, always both, so the answer's timing does not say
 * which one matched.
 */
export function clientSecretMatches(verifiers: ClientSecretVerifiers, presented: string, nowMs: number): boolean {
  const hash = hashClientSecret(presented);
  const current = timingSafeEqual(hash, verifiers.current);
  const previousLive = verifiers.previous !== null && verifiers.previousExpiresAtMs !== null && nowMs < verifiers.previousExpiresAtMs;
  const previous = timingSafeEqual(hash, verifiers.previous ?? verifiers.current) && previousLive;
  return current || previous;
}
