import { readPayapiEnvironment } from '@payapi/platform';
import type { PayapiEnvironment } from '@payapi/platform';
import type { Knex } from 'knex';
import { isStorableKey } from '../adapter/models.ts';
import { ALL_SCOPES, ClientInputError, checkClientName, checkRedirectUris, createClient } from './create-client.ts';

/**
 * Apps that third-party developers register on the developer portal (docs/authorization-server.md,
 * "Partner apps"): confidential clients (RFC 6749 §2.1) with every partner scope, whose `owner` (the
 * portal's developer id) and review status live in `auth.partner_apps`. In a live deployment an app
 * waits for the operator's review (`pnpm cli clients:approve`); until then the provider does not
 * know it (see the adapter's client-rows.ts).
 */

/** Review status: `pending_review` (live, until approved) or `approved`. */
export type PartnerAppStatus = 'pending_review' | 'approved';

/** Input of {@link createPartnerApp}. */
export interface NewPartnerApp {
  /** Shown on the consent and connected-apps pages: 1 to 100 printable characters (trimmed). */
  name: string;
  /** 1 to 10 exact redirect URIs under the registration policy (`redirectUriProblem`). */
  redirectUris: string[];
  /** The portal's developer id, opaque here: 1 to 255 characters. */
  owner: string;
}

/** A partner app as the portal shows it. */
export interface PartnerApp {
  clientId: string;
  name: string;
  redirectUris: string[];
  status: PartnerAppStatus;
  /** RFC 3339, UTC, microseconds. */
  createdAt: string;
  owner: string;
  /**
   * While the secret the last rotation replaced still works: when it stops (RFC 3339, UTC,
   * microseconds; see `rotateClientSecret`, `revokePreviousClientSecret`); else null.
   */
  previousSecretExpiresAt: string | null;
}

/** Options of {@link createPartnerApp}. */
export interface PartnerAppOptions {
  /** The deployment's environment (secret prefix, review); default `readPayapiEnvironment(process.env)`. */
  environment?: PayapiEnvironment;
}

const OWNER_LENGTH_MAX = 255;

/**
 * Registers a developer's app: a confidential client (`client_secret_basic` or `_post`) with grant
 * types `authorization_code`, `refresh_token` and `client_credentials`, every partner scope
 * (`openid offline_access accounts:read transactions:read transfers:write payments:write
 * webhooks:manage`), a new secret (`sk_sandbox_…`/`sk_live_…`, shown this once: only its SHA-256
 * is kept). In live it starts `pending_review`, in sandbox `approved`. One transaction: the client
 * is never visible without its review status.
 *
 * @returns `{ clientId, clientSecret, status }`
 * @throws {ClientInputError} naming the problem: the name, a redirect URI (not absolute, a fragment
 *   or credentials, http outside localhost), none or more than 10 of them, an empty or long owner
 * @throws {ConfigError} when `environment` is not given and `PAYAPI_ENVIRONMENT` is malformed
 */
export async function createPartnerApp(db: Knex, input: NewPartnerApp, options: PartnerAppOptions = {}): Promise<{ clientId: string; clientSecret: string; status: PartnerAppStatus }> {
  const environment = options.environment ?? readPayapiEnvironment(process.env);
  checkClientName(input.name);
  if (checkRedirectUris(input.redirectUris).length === 0) throw new ClientInputError('at least one redirect URI is needed');
  if (typeof input.owner !== 'string' || input.owner.length < 1 || input.owner.length > OWNER_LENGTH_MAX) {
    throw new ClientInputError(`owner must be 1 to ${OWNER_LENGTH_MAX} characters`);
  }
  const status: PartnerAppStatus = environment === 'live' ? 'pending_review' : 'approved';
  return db.transaction(async (trx) => {
    const created = await createClient(trx, { name: input.name, redirectUris: input.redirectUris, scope: ALL_SCOPES.join(' '), environment });
    if (created.client_secret === undefined) throw new Error('createPartnerApp: a confidential client was created without a secret');
    await trx.raw(`INSERT INTO auth.partner_apps (client_id, owner, status) VALUES (?, ?, ?)`, [created.client_id, input.owner, status]);
    return { clientId: created.client_id, clientSecret: created.client_secret, status };
  });
}

/**
 * A partner app, whatever its status, with when its previous secret stops working (by the database
 * clock: null once it has).
 *
 * @returns undefined for an unknown id, or a client that is not a partner app (made by the CLI)
 */
export async function getPartnerApp(db: Knex, clientId: string): Promise<PartnerApp | undefined> {
  if (!isStorableKey(clientId)) return undefined;
  const { rows } = await db.raw<{ rows: Array<{
    name: string; redirect_uris: string[]; status: PartnerAppStatus; created_at: string; owner: string; previous_secret_expires_at: string | null;
  }> }>(
    `SELECT s.payload->>'client_name' AS name, s.payload->'redirect_uris' AS redirect_uris, p.status, p.owner,
            to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
            CASE WHEN c.previous_secret_expires_at > now()
                 THEN to_char(c.previous_secret_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END AS previous_secret_expires_at
       FROM auth.partner_apps p JOIN auth.oidc_store s ON s.model = 'Client' AND s.id = p.client_id
       LEFT JOIN auth.client_secrets c ON c.client_id = p.client_id
      WHERE p.client_id = ?`,
    [clientId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    clientId, name: row.name, redirectUris: row.redirect_uris, status: row.status, createdAt: row.created_at, owner: row.owner,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

/**
 * Replaces a partner app's redirect URIs (exact matching from the next authorization request on).
 *
 * @throws {ClientInputError} naming the problem: a URI the registration policy refuses, none or
 *   more than 10, or no partner app with this id
 */
export async function updatePartnerAppRedirectUris(db: Knex, clientId: string, redirectUris: string[]): Promise<void> {
  if (checkRedirectUris(redirectUris).length === 0) throw new ClientInputError('at least one redirect URI is needed');
  const result = isStorableKey(clientId)
    ? await db.raw<{ rowCount: number }>(
      `UPDATE auth.oidc_store s SET payload = jsonb_set(payload, '{redirect_uris}', ?::jsonb)
        WHERE s.model = 'Client' AND s.id = ? AND EXISTS (SELECT 1 FROM auth.partner_apps p WHERE p.client_id = s.id)`,
      [JSON.stringify(redirectUris), clientId])
    : { rowCount: 0 };
  if (result.rowCount === 0) throw new ClientInputError(`no partner app with client id ${clientId.slice(0, 100)}`);
}

/**
 * Approves a client after review: from the commit on, every server knows it (their caches are
 * told). Idempotent; a client that never waited (made by the CLI, or in sandbox) is approved already.
 *
 * @returns `{ clientId, status: 'approved' }`
 * @throws {ClientInputError} for an unknown client id
 */
export async function approveClient(db: Knex, clientId: string): Promise<{ clientId: string; status: 'approved' }> {
  if (!isStorableKey(clientId)) throw new ClientInputError('unknown client id');
  const { rows } = await db.raw<{ rows: Array<{ known: boolean }> }>(
    `WITH approved AS (
       UPDATE auth.partner_apps SET status = 'approved', reviewed_at = now()
        WHERE client_id = ? AND status = 'pending_review' RETURNING client_id)
     SELECT EXISTS (SELECT 1 FROM approved)
         OR EXISTS (SELECT 1 FROM auth.oidc_store WHERE model = 'Client' AND id = ?) AS known`,
    [clientId, clientId],
  );
  if (rows[0]?.known !== true) throw new ClientInputError(`unknown client id ${clientId.slice(0, 100)}`);
  return { clientId, status: 'approved' };
}
