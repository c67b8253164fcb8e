import { appendEvent } from '@payapi/events';
import type { GrantRevocationReason } from '@payapi/events';
import type { Knex } from 'knex';
import { revokePaymentConsentsOfGrants } from '../payments/payment-consents.ts';
import { LIVE_ROW, STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/**
 * Deletes store rows and, in the same transaction, tells the client of each live Grant among them
 * that it ended: a `grant.revoked` event (docs/webhooks.md) with `sub`, `reason` and `revoked_at`;
 * and revokes the authorised payment consents those grants hold, each with a
 * `payment_consent.revoked` event (`revokePaymentConsentsOfGrants`), so no consent outlives its grant.
 * A Grant past its expiry is not revoked but over, and gets no event (the purge removes those).
 * Every path that ends a grant comes here: our `revokeGrant` and oidc-provider's own revocations
 * (through the adapter's `destroy`), the reuse of a code or refresh token (its `consume`), and
 * `deletePartnerApp`.
 *
 * @param where a condition on `auth.oidc_store` with `?` placeholders for `bindings`
 * @param reason why, for every Grant deleted
 * @returns how many rows were deleted
 */
export async function deleteWithGrantEvents(db: Knex, where: string, bindings: readonly Knex.Value[], reason: GrantRevocationReason): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<RawRows<{ model: string; id: string; client_id: string | null; sub: string | null; live: boolean }>>(
      `DELETE FROM ${STORE_TABLE} WHERE ${where}
       RETURNING model, id, payload->>'clientId' AS client_id, payload->>'accountId' AS sub, (${LIVE_ROW}) AS live`, bindings);
    const revokedAt = new Date().toISOString();
    const revokedGrantIds: string[] = [];
    for (const row of rows) {
      if (row.model !== 'Grant' || !row.live || !row.client_id) continue;
      await appendEvent(trx, { type: 'grant.revoked', clientId: row.client_id, data: { sub: row.sub, reason, revoked_at: revokedAt } });
      revokedGrantIds.push(row.id);
    }
    await revokePaymentConsentsOfGrants(trx, revokedGrantIds);
    return rows.length;
  });
}
