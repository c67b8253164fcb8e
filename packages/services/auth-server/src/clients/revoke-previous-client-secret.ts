import type { Knex } from 'knex';
import { isStorableKey } from '../adapter/models.ts';
import { ClientInputError } from './create-client.ts';

/**
 * Ends the secret that the last `rotateClientSecret` replaced at once, instead of at the end of its
 * overlap: for a previous secret that leaked (RFC 6749 §2.3.1; RFC 9700 §4.15 on client secret
 * compromise). From the commit on the token endpoint answers `invalid_client` for it; the current
 * secret keeps working. One statement on the client's row, so it serialises with a concurrent
 * rotation, and every server's client cache is told when it commits (the table's trigger).
 *
 * @returns `{ revoked }`: true when a previous secret was still working and is now ended, false when
 *   none was (never rotated, its overlap over, or revoked already)
 * @throws {ClientInputError} for an unknown client, or one without a secret (public)
 */
export async function revokePreviousClientSecret(db: Knex, clientId: string): Promise<{ revoked: boolean }> {
  const { rows } = isStorableKey(clientId)
    ? await db.raw<{ rows: Array<{ revoked: boolean }> }>(
      `UPDATE auth.client_secrets c
          SET previous_secret_sha256 = NULL, previous_secret_expires_at = NULL
         FROM (SELECT client_id, coalesce(previous_secret_expires_at > now(), false) AS live
                 FROM auth.client_secrets WHERE client_id = ? FOR UPDATE) old
        WHERE c.client_id = old.client_id
        RETURNING old.live AS revoked`,
      [clientId])
    : { rows: [] };
  const row = rows[0];
  if (!row) throw new ClientInputError(`no confidential client with id ${clientId.slice(0, 100)}`);
  return { revoked: row.revoked };
}
