import type { Knex } from 'knex';
import { getClientEvent } from './event-log.ts';
import type { Page } from './event-log.ts';
import { appendEvent } from './event-log.ts';
import { getEndpoint } from './endpoints.ts';
import { EventsError } from './errors.ts';
import { checkLimit, decodeCursor, encodeCursor, rfc3339 } from './page-cursor.ts';

/** `Delivery` on the wire (docs/webhooks.md): one attempt; an attempt being sent is still `pending`. */
export interface WireDelivery {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: 'pending' | 'succeeded' | 'failed';
  response_status: number | null;
  duration_ms: number | null;
  attempted_at: string | null;
  next_attempt_at: string | null;
}

/**
 * An endpoint's delivery attempts, newest first (keyset on (`created_at`, `id`)).
 *
 * @throws {EventsError} `webhook_endpoint_not_found` for another client's endpoint; `invalid_request`
 */
export async function listDeliveries(
  db: Knex,
  query: { clientId: string; endpointId: string; limit?: number; cursor?: string },
): Promise<Page<WireDelivery>> {
  const limit = checkLimit(query.limit);
  await getEndpoint(db, query.clientId, query.endpointId);
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const { rows } = await db.raw<{ rows: Array<WireDelivery & { position: string }> }>(
    `SELECT d.id, d.event_id, e.type AS event_type, d.attempt,
            CASE WHEN d.status = 'sending' THEN 'pending' ELSE d.status END AS status,
            d.response_status, d.duration_ms, ${rfc3339('d.attempted_at')} AS attempted_at,
            CASE WHEN d.status IN ('pending', 'sending') THEN ${rfc3339('d.next_attempt_at')} END AS next_attempt_at,
            ${rfc3339('d.created_at')} AS position
       FROM events.deliveries d JOIN events.events e ON e.id = d.event_id
      WHERE d.endpoint_id = ? ${after ? 'AND (d.created_at, d.id) < (?::timestamptz, ?)' : ''}
      ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
    [query.endpointId, ...(after ? [after.createdAt, after.id] : []), limit + 1]);
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return {
    data: data.map(({ position: _position, ...delivery }) => delivery),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
  };
}

/**
 * Sends one of the client's events again, now: a new attempt, numbered after the endpoint's last one
 * for that event, to each of the client's enabled endpoints subscribed to the event's type (a
 * `webhook.test` event: to the endpoint it was sent to). An endpoint that still has an attempt of
 * this event waiting or being sent gets no second one, so repeated or parallel calls queue at most
 * one attempt per endpoint.
 *
 * @returns how many attempts were queued
 * @throws {EventsError} `event_not_found`
 */
export async function redeliverEvent(db: Knex, clientId: string, eventId: string): Promise<number> {
  const event = await getClientEvent(db, clientId, eventId);
  const targets = event.type === 'webhook.test'
    ? 'w.id IN (SELECT endpoint_id FROM events.deliveries WHERE event_id = ?)'
    : '? = ANY (w.event_types)';
  const result = await db.raw<{ rowCount: number }>(
    `INSERT INTO events.deliveries (id, event_id, endpoint_id, attempt, status, next_attempt_at)
     SELECT events.new_id('dlv'), ?, w.id,
            coalesce((SELECT max(attempt) FROM events.deliveries d WHERE d.event_id = ? AND d.endpoint_id = w.id), 0) + 1,
            'pending', now()
       FROM events.webhook_endpoints w
      WHERE w.client_id = ? AND w.status = 'enabled' AND ${targets}
        AND NOT EXISTS (SELECT 1 FROM events.deliveries d
                         WHERE d.event_id = ? AND d.endpoint_id = w.id AND d.status IN ('pending', 'sending'))
     ON CONFLICT (event_id, endpoint_id, attempt) DO NOTHING`,
    [event.id, event.id, clientId, event.type === 'webhook.test' ? event.id : event.type, event.id]);
  return result.rowCount;
}

/** At most this many `webhook.test` events per client in a minute: events are kept (append-only) for months. */
export const TEST_EVENTS_PER_MINUTE_MAX = 10;

/**
 * Appends a `webhook.test` event (`data` `{}`) for one endpoint, delivered to it alone.
 *
 * @returns the event's id
 * @throws {EventsError} `webhook_endpoint_not_found`; `rate_limited` past
 *   {@link TEST_EVENTS_PER_MINUTE_MAX} test events of the client in the last minute
 */
export async function sendTestEvent(db: Knex, clientId: string, endpointId: string): Promise<string> {
  await getEndpoint(db, clientId, endpointId);
  return db.transaction(async (trx) => {
    // One count per client at a time, so parallel requests cannot pass the limit together.
    await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended('events.webhook.test:' || ?, 0))`, [clientId]);
    const { rows } = await trx.raw<{ rows: Array<{ n: number }> }>(
      `SELECT count(*)::int AS n FROM events.events
        WHERE client_id = ? AND type = 'webhook.test' AND created_at > now() - interval '1 minute'`, [clientId]);
    if ((rows[0]?.n ?? 0) >= TEST_EVENTS_PER_MINUTE_MAX) {
      throw new EventsError('rate_limited', `at most ${TEST_EVENTS_PER_MINUTE_MAX} test events a minute; try again shortly`);
    }
    return appendEvent(trx, { type: 'webhook.test', clientId, data: {}, endpointId });
  });
}
