import type { Knex } from 'knex';
import { isStorableKey } from '../adapter/models.ts';

/** What the error page says to someone who opens the authorization URL of an app still under review. */
export const PENDING_REVIEW_MESSAGE = 'This app is waiting for review by the bank and cannot be used yet.';

/**
 * Whether `clientId` names a partner app waiting for review (`auth.partner_apps`). Asked only on the
 * error path (the provider already refused the client as unknown), to say why.
 */
export async function isPendingReview(db: Knex, clientId: unknown): Promise<boolean> {
  if (!isStorableKey(clientId)) return false;
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `SELECT 1 FROM auth.partner_apps WHERE client_id = ? AND status = 'pending_review'`, [clientId]);
  return rows.length === 1;
}
