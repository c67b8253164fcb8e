import type { Knex } from 'knex';
import { EventsError } from './errors.ts';
import { isEventType } from './event-types.ts';
import type { EventType } from './event-types.ts';
import { checkLimit, decodeCursor, encodeCursor, rfc3339 } from './page-cursor.ts';

/** How long partners see their events (docs/webhooks.md): 30 days. The operator keeps them longer. */
export const PARTNER_WINDOW_DAYS = 30;

/** An event as stored: its recipient client and the data as it will be sent. */
export interface StoredEvent {
  id: string;
  type: string;
  clientId: string;
  /** The event's `data`, already in its wire shape. */
  data: unknown;
  /** RFC 3339 UTC with microseconds. */
  createdAt: string;
}

/** `Event` on the wire (docs/webhooks.md): `environment` is the deployment's (`PAYAPI_ENVIRONMENT`). */
export interface WireEvent {
  id: string;
  type: string;
  created_at: string;
  environment: 'sandbox' | 'live';
  data: unknown;
}

/** The wire shape of a stored event, in this deployment's environment. */
export function toWireEvent(event: StoredEvent, environment: 'sandbox' | 'live'): WireEvent {
  return { id: event.id, type: event.type, created_at: event.createdAt, environment, data: event.data };
}

/** What {@link appendEvent} stores. */
export interface NewEvent {
  type: EventType;
  /** The one client the event is for. */
  clientId: string;
  /** The event's `data` in its wire shape (JSON). */
  data: unknown;
  /** Deliver to this endpoint only, whatever it subscribed to (for `webhook.test`). */
  endpointId?: string;
}

/**
 * Appends an event and queues its first delivery attempts (SQL `events.append`). Call it with the
 * transaction of the change it reports: rolled back together, nothing is left.
 *
 * @param db a knex transaction, or knex itself for an event that reports no other change
 * @returns the new event's id (`evt_…`)
 */
export async function appendEvent(db: Knex | Knex.Transaction, event: NewEvent): Promise<string> {
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    'SELECT events.append(?, ?, ?::jsonb, ?) AS id', [event.type, event.clientId, JSON.stringify(event.data), event.endpointId ?? null]);
  return (rows[0] as { id: string }).id;
}

const EVENT_COLUMNS = `id, type, client_id AS "clientId", data, ${rfc3339('created_at')} AS "createdAt"`;

/** One page of a list, newest first. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A client's events of the last 30 days, newest first, keyset-paginated on (`created_at`, `id`):
 * events appended while paging cause neither gaps nor duplicates.
 *
 * @param query.type only events of this type
 * @param query.limit 1 to 100 (default 20)
 * @throws {EventsError} `invalid_request` for an unknown type, a bad limit or cursor
 */
export async function listClientEvents(
  db: Knex,
  query: { clientId: string; type?: string; limit?: number; cursor?: string },
): Promise<Page<StoredEvent>> {
  const limit = checkLimit(query.limit);
  if (query.type !== undefined && !isEventType(query.type)) throw new EventsError('invalid_request', 'type is not a known event type');
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const conditions = ['client_id = ?', 'created_at > now() - make_interval(days => ?)'];
  const bindings: Knex.Value[] = [query.clientId, PARTNER_WINDOW_DAYS];
  if (query.type !== undefined) {
    conditions.push('type = ?');
    bindings.push(query.type);
  }
  if (after) {
    conditions.push('(created_at, id) < (?::timestamptz, ?)');
    bindings.push(after.createdAt, after.id);
  }
  const { rows } = await db.raw<{ rows: StoredEvent[] }>(
    `SELECT ${EVENT_COLUMNS} FROM events.events WHERE ${conditions.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT ?`, [...bindings, limit + 1]);
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}

/**
 * One of a client's events of the last 30 days.
 *
 * @throws {EventsError} `event_not_found` for another client's event, an older one or none
 */
export async function getClientEvent(db: Knex, clientId: string, eventId: string): Promise<StoredEvent> {
  if (!/^evt_[0-9a-f]{32}$/.test(eventId)) throw new EventsError('event_not_found', 'event not found');
  const { rows } = await db.raw<{ rows: StoredEvent[] }>(
    `SELECT ${EVENT_COLUMNS} FROM events.events
      WHERE id = ? AND client_id = ? AND created_at > now() - make_interval(days => ?)`, [eventId, clientId, PARTNER_WINDOW_DAYS]);
  const event = rows[0];
  if (!event) throw new EventsError('event_not_found', 'event not found');
  return event;
}

/**
 * The operator's view (`pnpm cli events:list`): every kept event, oldest first, from `since`.
 *
 * @param query.since RFC 3339; default: everything kept
 * @param query.limit at most this many (1 to 100,000)
 */
export async function listAuditEvents(
  db: Knex,
  query: { since?: string; type?: string; clientId?: string; limit: number },
): Promise<StoredEvent[]> {
  const conditions: string[] = [];
  const bindings: Knex.Value[] = [];
  for (const [condition, value] of [['created_at >= ?::timestamptz', query.since], ['type = ?', query.type], ['client_id = ?', query.clientId]] as const) {
    if (value === undefined) continue;
    conditions.push(condition);
    bindings.push(value);
  }
  const { rows } = await db.raw<{ rows: StoredEvent[] }>(
    `SELECT ${EVENT_COLUMNS} FROM events.events ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY created_at, id LIMIT ?`, [...bindings, query.limit]);
  return rows;
}

/**
 * Deletes events older than the retention, at most `batch` at once (their deliveries go with
 * them); loop while it returns `batch`.
 *
 * @param retentionDays `EVENTS_RETENTION_DAYS`, at least 30 (the database refuses less)
 * @returns how many events were deleted
 */
export async function purgeExpiredEvents(db: Knex, retentionDays: number, batch = 1000): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ deleted: number }> }>('SELECT events.purge_expired(?, ?) AS deleted', [retentionDays, batch]);
  return rows[0]?.deleted ?? 0;
}

/**
 * Deletes up to `batch` delivery attempts whose endpoint no longer exists: queued by a transaction
 * that raced with the endpoint's deletion (see migration 20261206_02). The worker runs it with the
 * retention purge; loop while it returns `batch`.
 *
 * @returns how many attempts were deleted
 */
export async function purgeOrphanDeliveries(db: Knex, batch = 1000): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ deleted: number }> }>('SELECT events.purge_orphan_deliveries(?) AS deleted', [batch]);
  return rows[0]?.deleted ?? 0;
}
