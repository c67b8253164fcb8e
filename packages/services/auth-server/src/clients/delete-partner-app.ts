import { deleteEndpoint, listEndpoints } from '@payapi/events';
import type { Knex } from 'knex';
import { deleteWithGrantEvents } from '../adapter/grant-deletion.ts';
import { isStorableKey } from '../adapter/models.ts';
import { ClientInputError } from './create-client.ts';

/** The client's grants, by the partial index of migration 20261207_08. */
const GRANTS_OF_CLIENT = `SELECT id FROM auth.oidc_store WHERE model = 'Grant' AND payload->>'clientId' = ?`;

/**
 * Deletes a partner app and everything it holds, in one transaction, so that from the commit on
 * nothing of it works:
 * - every grant (RFC 6749 §1.3) and what was issued from it (refresh tokens, codes, opaque tokens),
 *   each grant reported to the app by a `grant.revoked` event with reason `operator`
 *   (docs/webhooks.md; appended in the same transaction);
 * - the records of its JWT access tokens, user-bound and client-credentials alike, so introspection
 *   answers `active: false` and the resource API `401 invalid_token` for them at once;
 * - its consent records, its secrets, its resource-server flag, its review row and its client
 *   metadata (every server's client cache is told when the transaction commits);
 * - its webhook endpoints and their deliveries (through `@payapi/events`); its past events stay in
 *   the operator's audit log.
 * A token request that authenticated from a server's cache in the milliseconds before that server
 * heard of the deletion may still be answered; its grant is gone, so only a client-credentials
 * token could come of it.
 *
 * @throws {ClientInputError} when no partner app has this id (a CLI-made client is not one)
 */
export async function deletePartnerApp(db: Knex, clientId: string): Promise<void> {
  if (!isStorableKey(clientId)) throw new ClientInputError('no partner app with this client id');
  await db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: unknown[] }>(`SELECT 1 FROM auth.partner_apps WHERE client_id = ? FOR UPDATE`, [clientId]);
    if (rows.length === 0) throw new ClientInputError(`no partner app with client id ${clientId.slice(0, 100)}`);
    await trx.raw(
      `UPDATE auth.access_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL AND ((grant_id IS NULL AND client_id = ?) OR grant_id IN (${GRANTS_OF_CLIENT}))`,
      [clientId, clientId]);
    await trx.raw(`DELETE FROM auth.grant_accounts WHERE grant_id IN (${GRANTS_OF_CLIENT})`, [clientId]);
    await deleteWithGrantEvents(trx,
      `(model = 'Grant' AND payload->>'clientId' = ?) OR grant_id IN (${GRANTS_OF_CLIENT}) OR (model = 'Client' AND id = ?)`,
      [clientId, clientId, clientId], 'operator');
    for (const table of ['client_secrets', 'resource_servers', 'partner_apps'] as const) {
      await trx.raw(`DELETE FROM auth.${table} WHERE client_id = ?`, [clientId]);
    }
    for (const endpoint of await listEndpoints(trx, clientId)) await deleteEndpoint(trx, clientId, endpoint.id);
  });
}
