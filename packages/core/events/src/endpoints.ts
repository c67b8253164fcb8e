import { isSafeText } from '@payapi/platform';
import type { Knex } from 'knex';
import { EventsError } from './errors.ts';
import { EVENT_TYPES, isEventType } from './event-types.ts';
import { rfc3339 } from './page-cursor.ts';
import { newEndpointSecret } from './secrets.ts';
import type { SecretBox } from './secrets.ts';
import { resolveEndpointUrl } from './url-policy.ts';
import type { UrlPolicy } from './url-policy.ts';

/** At most this many endpoints per client (docs/webhooks.md). */
export const ENDPOINTS_PER_CLIENT_MAX = 10;
/** Longest endpoint description, characters. */
export const DESCRIPTION_LENGTH_MAX = 500;
/** How long a rotated-out secret keeps signing beside the new one, by default: 24 h. */
export const SECRET_OVERLAP_SECONDS_DEFAULT = 24 * 60 * 60;

/** `WebhookEndpoint` on the wire (docs/webhooks.md). */
export interface WireEndpoint {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  status: 'enabled' | 'disabled';
  disabled_reason: 'gone' | 'failing' | null;
  created_at: string;
}

const ENDPOINT_COLUMNS = `id, url, event_types, description, status, disabled_reason, ${rfc3339('created_at')} AS created_at`;

/** What the partner sent, checked. */
interface EndpointFields {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  status?: 'enabled' | 'disabled';
}

/** @throws {EventsError} `invalid_request` naming the field */
function checkEventTypes(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > EVENT_TYPES.length || !value.every(isEventType)) {
    throw new EventsError('invalid_request', `event_types must be a non-empty list of: ${EVENT_TYPES.join(', ')}`);
  }
  return [...new Set(value as string[])].sort();
}

/** @throws {EventsError} `invalid_request` */
function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > DESCRIPTION_LENGTH_MAX || !isSafeText(value)) {
    throw new EventsError('invalid_request', `description must be at most ${DESCRIPTION_LENGTH_MAX} characters without control characters`);
  }
  return value;
}

/** An endpoint id that cannot exist is answered like an absent one. */
function checkEndpointId(endpointId: string): void {
  if (!/^we_[0-9a-f]{32}$/.test(endpointId)) throw new EventsError('webhook_endpoint_not_found', 'webhook endpoint not found');
}

/**
 * Registers a webhook endpoint for `clientId`, with a new secret (returned once, stored sealed).
 *
 * @returns the endpoint and its secret (`whsec_…`)
 * @throws {EventsError} `invalid_request` (fields), `webhook_url_not_allowed` (see
 *   `resolveEndpointUrl`), `webhook_endpoint_limit_reached` (10 already)
 */
export async function createEndpoint(
  db: Knex,
  deps: { secrets: SecretBox; urlPolicy: UrlPolicy },
  input: { clientId: string; url: unknown; eventTypes: unknown; description?: unknown },
): Promise<{ endpoint: WireEndpoint; secret: string }> {
  const eventTypes = checkEventTypes(input.eventTypes);
  const description = checkDescription(input.description);
  const { url } = await resolveEndpointUrl(input.url, deps.urlPolicy);
  const secret = newEndpointSecret();
  const endpoint = await db.transaction(async (trx) => {
    // One registration per client at a time, so the limit holds under parallel requests.
    await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended('events.webhook_endpoints:' || ?, 0))`, [input.clientId]);
    const { rows: counted } = await trx.raw<{ rows: Array<{ n: number }> }>(
      'SELECT count(*)::int AS n FROM events.webhook_endpoints WHERE client_id = ?', [input.clientId]);
    if ((counted[0]?.n ?? 0) >= ENDPOINTS_PER_CLIENT_MAX) {
      throw new EventsError('webhook_endpoint_limit_reached', `a client may register at most ${ENDPOINTS_PER_CLIENT_MAX} webhook endpoints`);
    }
    const { rows } = await trx.raw<{ rows: WireEndpoint[] }>(
      `INSERT INTO events.webhook_endpoints (id, client_id, url, event_types, description, secret_sealed)
       VALUES (events.new_id('we'), ?, ?, ?::text[], ?, ?) RETURNING ${ENDPOINT_COLUMNS}`,
      [input.clientId, url.href, eventTypes, description, deps.secrets.seal(secret)]);
    return rows[0] as WireEndpoint;
  });
  return { endpoint, secret };
}

/** A client's endpoints, oldest first. */
export async function listEndpoints(db: Knex, clientId: string): Promise<WireEndpoint[]> {
  const { rows } = await db.raw<{ rows: WireEndpoint[] }>(
    `SELECT ${ENDPOINT_COLUMNS} FROM events.webhook_endpoints WHERE client_id = ? ORDER BY created_at, id`, [clientId]);
  return rows;
}

/**
 * @throws {EventsError} `webhook_endpoint_not_found` for another client's endpoint or none
 */
export async function getEndpoint(db: Knex, clientId: string, endpointId: string): Promise<WireEndpoint> {
  checkEndpointId(endpointId);
  const { rows } = await db.raw<{ rows: WireEndpoint[] }>(
    `SELECT ${ENDPOINT_COLUMNS} FROM events.webhook_endpoints WHERE id = ? AND client_id = ?`, [endpointId, clientId]);
  const endpoint = rows[0];
  if (!endpoint) throw new EventsError('webhook_endpoint_not_found', 'webhook endpoint not found');
  return endpoint;
}

/**
 * Changes an endpoint's `url`, `event_types`, `description` or `status`. Enabling one again clears
 * why it was disabled and its run of failures; disabling it by hand leaves `disabled_reason` null.
 *
 * @throws {EventsError} `webhook_endpoint_not_found`, `invalid_request`, `webhook_url_not_allowed`
 */
export async function updateEndpoint(
  db: Knex,
  deps: { urlPolicy: UrlPolicy },
  clientId: string,
  endpointId: string,
  changes: { url?: unknown; eventTypes?: unknown; description?: unknown; status?: unknown },
): Promise<WireEndpoint> {
  checkEndpointId(endpointId);
  const fields: EndpointFields = {};
  if (changes.url !== undefined) fields.url = (await resolveEndpointUrl(changes.url, deps.urlPolicy)).url.href;
  if (changes.eventTypes !== undefined) fields.eventTypes = checkEventTypes(changes.eventTypes);
  if (changes.description !== undefined) fields.description = checkDescription(changes.description);
  if (changes.status !== undefined) {
    if (changes.status !== 'enabled' && changes.status !== 'disabled') throw new EventsError('invalid_request', 'status must be enabled or disabled');
    fields.status = changes.status;
  }
  const { rows } = await db.raw<{ rows: WireEndpoint[] }>(
    `UPDATE events.webhook_endpoints SET
        url = coalesce(?, url),
        event_types = coalesce(?::text[], event_types),
        description = CASE WHEN ? THEN ? ELSE description END,
        status = coalesce(?, status),
        disabled_reason = CASE WHEN ?::text IS NOT NULL THEN NULL ELSE disabled_reason END,
        failing_since = CASE WHEN ? = 'enabled' THEN NULL ELSE failing_since END,
        updated_at = now()
      WHERE id = ? AND client_id = ? RETURNING ${ENDPOINT_COLUMNS}`,
    [fields.url ?? null, fields.eventTypes ?? null, fields.description !== undefined, fields.description ?? null,
      fields.status ?? null, fields.status ?? null, fields.status ?? null, endpointId, clientId]);
  const endpoint = rows[0];
  if (!endpoint) throw new EventsError('webhook_endpoint_not_found', 'webhook endpoint not found');
  return endpoint;
}

/**
 * Deletes an endpoint and its delivery history; nothing more is sent to it.
 *
 * @throws {EventsError} `webhook_endpoint_not_found`
 */
export async function deleteEndpoint(db: Knex, clientId: string, endpointId: string): Promise<void> {
  checkEndpointId(endpointId);
  await db.transaction(async (trx) => {
    const result = await trx.raw<{ rowCount: number }>('DELETE FROM events.webhook_endpoints WHERE id = ? AND client_id = ?', [endpointId, clientId]);
    if (result.rowCount === 0) throw new EventsError('webhook_endpoint_not_found', 'webhook endpoint not found');
    // No foreign key does it (migration 20261206_02): the endpoint's attempts go with it.
    await trx.raw('DELETE FROM events.deliveries WHERE endpoint_id = ?', [endpointId]);
  });
}

/**
 * Gives an endpoint a new secret (returned once). The old one keeps signing beside it for
 * `overlapSeconds` (Standard Webhooks: both signatures in one header), so the partner can switch
 * without missing a delivery; a second rotation within the overlap drops the oldest.
 *
 * @throws {EventsError} `webhook_endpoint_not_found`
 */
export async function rotateEndpointSecret(
  db: Knex,
  deps: { secrets: SecretBox },
  clientId: string,
  endpointId: string,
  overlapSeconds = SECRET_OVERLAP_SECONDS_DEFAULT,
): Promise<{ secret: string }> {
  checkEndpointId(endpointId);
  const secret = newEndpointSecret();
  const result = await db.raw<{ rowCount: number }>(
    `UPDATE events.webhook_endpoints SET previous_secret_sealed = secret_sealed,
        previous_secret_expires_at = now() + make_interval(secs => ?), secret_sealed = ?, updated_at = now()
      WHERE id = ? AND client_id = ?`, [overlapSeconds, deps.secrets.seal(secret), endpointId, clientId]);
  if (result.rowCount === 0) throw new EventsError('webhook_endpoint_not_found', 'webhook endpoint not found');
  return { secret };
}
