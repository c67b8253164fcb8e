import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import { deleteClientSecrets, isSecretPlaceholder, newSecretPlaceholder, replaceClientSecret } from '../clients/client-secret-storage.ts';
import { EXPIRES_AT_FROM_SECONDS, LIVE_ROW, STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/**
 * The `Client` model's rows, which differ from the other models' in two ways.
 *
 * Writes never store a secret: a payload's `client_secret` (from `createClient`, or from dynamic
 * registration, RFC 7591, which stores through the adapter) is replaced by its SHA-256 in
 * `auth.client_secrets` and a placeholder in the payload, in one transaction (see
 * client-secret-storage.ts). A payload that already holds a placeholder keeps its secret; one
 * without `client_secret` (a public client) drops any.
 *
 * Reads skip a client under review (`auth.partner_apps.status = 'pending_review'`): until the
 * operator approves it, the provider does not know it, so every endpoint answers as for an unknown
 * client (`invalid_client` at the token endpoint, an error page at the authorization endpoint).
 */
export async function upsertClientRow(db: Knex, id: string, payload: AdapterPayload, expiresInSeconds: number | null): Promise<void> {
  await db.transaction(async (trx) => {
    const secret = payload.client_secret;
    let stored = payload;
    if (typeof secret === 'string' && !isSecretPlaceholder(secret)) {
      await replaceClientSecret(trx, id, secret);
      stored = { ...payload, client_secret: newSecretPlaceholder() };
    } else if (secret === undefined) {
      await deleteClientSecrets(trx, id);
    }
    await trx.raw(
      `INSERT INTO ${STORE_TABLE} (model, id, payload, expires_at)
       VALUES ('Client', ?, ?::jsonb, ${EXPIRES_AT_FROM_SECONDS})
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
      [id, JSON.stringify(stored), expiresInSeconds],
    );
  });
}

/** The live Client row's payload, unless the client is under review; else undefined. */
export async function findClientRow(db: Knex, id: string): Promise<AdapterPayload | undefined> {
  const { rows } = await db.raw<RawRows<{ payload: AdapterPayload }>>(
    `SELECT s.payload FROM ${STORE_TABLE} s
      WHERE s.model = 'Client' AND s.id = ? AND ${LIVE_ROW}
        AND NOT EXISTS (SELECT 1 FROM auth.partner_apps p WHERE p.client_id = s.id AND p.status = 'pending_review')`,
    [id],
  );
  return rows[0]?.payload;
}

/** Deletes the Client row and its secret hashes (RFC 7592 client deletion, were it enabled). */
export async function destroyClientRow(db: Knex, id: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw(`DELETE FROM ${STORE_TABLE} WHERE model = 'Client' AND id = ?`, [id]);
    await deleteClientSecrets(trx, id);
  });
}
