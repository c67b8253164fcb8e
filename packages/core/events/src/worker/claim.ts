import type { Knex } from 'knex';
import type { StoredEvent } from '../event-log.ts';
import { rfc3339 } from '../page-cursor.ts';

/** One attempt this worker now holds: what to send, where, and the lease that makes it ours. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  attempt: number;
  /** The end of our lease as PostgreSQL wrote it (text, microseconds): the outcome is recorded only while it is still ours. */
  leaseUntil: string;
  event: StoredEvent;
  url: string;
  secretSealed: string;
  /** The rotated-out secret while it still signs (`previous_secret_expires_at` in the future), else null. */
  previousSecretSealed: string | null;
}

/** What {@link claimDueDeliveries} may take. */
export interface ClaimRequest {
  /** At most this many attempts in all (what the worker may still hold). */
  limit: number;
  /** At most this many per endpoint id; endpoints absent from the map, `roomDefault`; 0 or less, none (their due attempts are not even read). */
  room: ReadonlyMap<string, number>;
  roomDefault: number;
  leaseMs: number;
}

/** What one claim found. */
export interface ClaimResult {
  /** The attempts to send now, oldest due first (attempts of disabled endpoints were failed, not returned). */
  claimed: ClaimedDelivery[];
  /**
   * True when the claim read as many due attempts as it may: more may lie behind them (another
   * endpoint's behind one endpoint's backlog), so a claim that filled an endpoint's room should be
   * followed at once by one that leaves it out.
   */
  scanFull: boolean;
}

/** Due attempts one claim reads at most: its limit twice, 100 to 256. */
const SCAN_MIN = 100;
const SCAN_MAX = 256;

interface ClaimRow {
  id: string;
  endpoint_id: string;
  attempt: number;
  status: 'sending' | 'failed';
  lease_until: string | null;
  event_id: string;
  event_type: string;
  client_id: string;
  data: unknown;
  event_created_at: string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  due_at: number;
  scanned: number;
}

/**
 * The claim, one statement and so one short transaction (docs/webhooks.md, "Delivery"), for all
 * endpoints at once. `due` reads the oldest due attempts, skipping endpoints that have no room left
 * in this worker (`:full`); `eligible` numbers each endpoint's candidates and keeps at most its room
 * (`:room`, see `DeliveryQueues.room`), so a backlog of one endpoint cannot fill the batch; `picked`
 * locks them with `FOR UPDATE SKIP LOCKED`, so workers claiming at once take different rows, and
 * re-checks each row (READ COMMITTED re-reads a row changed since the snapshot, so one another
 * worker just claimed is not due any more). The UPDATE then leases the attempt, or fails it at once
 * when its endpoint has been disabled since it was queued: nothing is sent to a disabled endpoint.
 * Each row also says how many due rows were read. Attempts whose lease ran out are made due again
 * by {@link releaseExpiredLeases}, not here: that keeps this statement, planned on every call,
 * simpler.
 *
 * Its plan must not depend on estimates, wrong on a table whose rows change status by the thousand
 * between two ANALYZEs: rows are only looked up by primary key from a list of ids (`= ANY
 * (ARRAY(…))`), never joined with a CTE the planner might rescan for every row (with estimates of
 * one row, it did: quadratic in the due attempts, 0.7 s a claim at a backlog of 1,000).
 */
const CLAIM_SQL = `
  WITH due AS (
    SELECT id, endpoint_id, next_attempt_at FROM events.deliveries
     WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (endpoint_id = ANY (:full::text[]))
       -- An attempt queued while its endpoint was being deleted has none (no foreign key, migration
       -- 20261206_02): skipped here, deleted by the retention purge.
       AND EXISTS (SELECT 1 FROM events.webhook_endpoints w WHERE w.id = endpoint_id)
     ORDER BY next_attempt_at LIMIT :scan
  ), eligible AS (
    SELECT id FROM (
      SELECT id, endpoint_id, next_attempt_at, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rank FROM due
    ) ranked
     WHERE rank <= coalesce((:room::jsonb ->> endpoint_id)::int, :roomDefault::int)
     ORDER BY rank, next_attempt_at
     LIMIT :limit
  ), picked AS (
    SELECT d.id FROM events.deliveries d
     WHERE d.id = ANY (ARRAY(SELECT id FROM eligible)) AND d.status = 'pending' AND d.next_attempt_at <= now()
       FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE events.deliveries d SET
        status = CASE WHEN w.status = 'enabled' THEN 'sending' ELSE 'failed' END,
        lease_until = CASE WHEN w.status = 'enabled' THEN now() + make_interval(secs => :leaseSeconds::float8) END,
        attempted_at = CASE WHEN w.status = 'enabled' THEN now() END,
        response_status = NULL, duration_ms = NULL,
        failure = CASE WHEN w.status = 'enabled' THEN NULL ELSE 'endpoint disabled' END
      FROM events.webhook_endpoints w, events.events e
     WHERE d.id = ANY (ARRAY(SELECT id FROM picked)) AND w.id = d.endpoint_id AND e.id = d.event_id
    RETURNING d.id, d.endpoint_id, d.attempt, d.status, d.lease_until::text AS lease_until,
        extract(epoch FROM d.next_attempt_at)::float8 AS due_at,
        e.id AS event_id, e.type AS event_type, e.client_id, e.data, ${rfc3339('e.created_at')} AS event_created_at,
        w.url, w.secret_sealed,
        CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_sealed END AS previous_secret_sealed
  )
  SELECT claimed.*, (SELECT count(*) FROM due)::int AS scanned FROM claimed`;

/**
 * Claims up to `limit` due attempts for this worker, at most its room per endpoint: sets them
 * `sending` with `lease_until` = now + lease. Several workers may claim at once; none gets an
 * attempt another holds while its lease runs.
 */
export async function claimDueDeliveries(db: Knex, request: ClaimRequest): Promise<ClaimResult> {
  const full = [...request.room].filter(([, room]) => room <= 0).map(([id]) => id);
  const scan = Math.min(SCAN_MAX, Math.max(SCAN_MIN, request.limit * 2));
  const { rows } = await db.raw<{ rows: ClaimRow[] }>(CLAIM_SQL, {
    full, scan, room: JSON.stringify(Object.fromEntries(request.room)), roomDefault: request.roomDefault, limit: request.limit, leaseSeconds: request.leaseMs / 1_000,
  });
  // Oldest due first (an endpoint's attempts go out in that order); UPDATE … RETURNING has none.
  const sending = rows.filter((row) => row.status === 'sending').sort((a, b) => a.due_at - b.due_at);
  const claimed = sending.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    attempt: row.attempt,
    leaseUntil: row.lease_until as string,
    event: { id: row.event_id, type: row.event_type, clientId: row.client_id, data: row.data, createdAt: row.event_created_at },
    url: row.url,
    secretSealed: row.secret_sealed,
    previousSecretSealed: row.previous_secret_sealed,
  }));
  return { claimed, scanFull: (rows[0]?.scanned ?? 0) >= scan };
}

/**
 * Makes the attempts whose lease ran out due again (`pending`, in their place in the queue): their
 * worker died, mid-send or before sending what it had claimed, so they are sent again (at least
 * once). Any worker may run it; the worker's loop does about once a second.
 *
 * @returns how many were released
 */
export async function releaseExpiredLeases(db: Knex): Promise<number> {
  const result = await db.raw<{ rowCount: number }>(`
    UPDATE events.deliveries SET status = 'pending', lease_until = NULL, attempted_at = NULL
     WHERE status = 'sending' AND lease_until < now()`);
  return result.rowCount;
}
