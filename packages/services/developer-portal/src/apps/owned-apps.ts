import type { Knex } from 'knex';
import { PortalInputError } from '../http/errors.ts';

/** Apps one developer may have, so that one account cannot fill the client table. */
export const APPS_PER_DEVELOPER_MAX = 20;

/** A row of `portal.apps`: which developer owns which OAuth client. */
export interface OwnedApp {
  clientId: string;
  createdAt: string;
}

/**
 * Serialises a developer's app creations and checks the limit; call inside the transaction that
 * creates the app, so that the limit holds under parallel requests.
 *
 * @throws {PortalInputError} when the developer has {@link APPS_PER_DEVELOPER_MAX} apps already
 */
export async function checkAppLimit(trx: Knex.Transaction, developerId: string): Promise<void> {
  await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended('portal.apps:' || ?, 0))`, [developerId]);
  const { rows } = await trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM portal.apps WHERE developer_id = ?', [developerId]);
  if ((rows[0]?.n ?? 0) >= APPS_PER_DEVELOPER_MAX) {
    throw new PortalInputError(`You have ${APPS_PER_DEVELOPER_MAX} apps, the most one developer may have: delete one first.`);
  }
}

/** Records that `developerId` owns the client `clientId` (in the transaction that created it). */
export async function recordApp(db: Knex, clientId: string, developerId: string): Promise<void> {
  await db.raw('INSERT INTO portal.apps (client_id, developer_id) VALUES (?, ?)', [clientId, developerId]);
}

/** A developer's apps, oldest first. */
export async function listOwnedApps(db: Knex, developerId: string): Promise<OwnedApp[]> {
  const { rows } = await db.raw<{ rows: OwnedApp[] }>(
    `SELECT client_id AS "clientId", to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt"
       FROM portal.apps WHERE developer_id = ? ORDER BY created_at, client_id`, [developerId]);
  return rows;
}

/** True when `clientId` is one of `developerId`'s apps (a malformed id is simply not). */
export async function ownsApp(db: Knex, developerId: string, clientId: string): Promise<boolean> {
  if (clientId.length < 1 || clientId.length > 255 || !clientId.isWellFormed() || clientId.includes('\u0000')) return false;
  const { rows } = await db.raw<{ rows: unknown[] }>('SELECT 1 FROM portal.apps WHERE client_id = ? AND developer_id = ?', [clientId, developerId]);
  return rows.length > 0;
}

/** Forgets an app after its client was deleted. */
export async function forgetApp(db: Knex, developerId: string, clientId: string): Promise<void> {
  await db.raw('DELETE FROM portal.apps WHERE client_id = ? AND developer_id = ?', [clientId, developerId]);
}
