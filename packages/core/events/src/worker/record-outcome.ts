import type { Knex } from 'knex';
import type { ClaimedDelivery } from './claim.ts';

/** How one attempt ended (docs/webhooks.md, "Delivery"): a 2xx within the timeout, or anything else. */
export type AttemptOutcome =
  | { kind: 'succeeded'; status: number; durationMs: number }
  | {
    kind: 'failed';
    /** The response's status; none when no response came (refused, connection error, timeout). */
    status?: number;
    /** What the response's `Retry-After` asked for, ms. */
    retryAfterMs?: number;
    /** Why, for the operator and the partner (at most 500 characters). */
    failure: string;
    durationMs: number;
  };

/** Why an endpoint was disabled. */
export type DisabledReason = 'gone' | 'failing';

/** What {@link recordFailure} did besides marking the attempt failed. */
export interface FailureRecorded {
  /** False when the attempt was no longer ours (its lease ran out, or it was deleted with its endpoint): nothing was written. */
  recorded: boolean;
  /** Set when this failure disabled the endpoint. */
  disabled?: DisabledReason;
  /** When the next attempt is due, ms from now; absent when none was queued (no retry left, or the endpoint is disabled). */
  nextAttemptInMs?: number;
  /** False when the endpoint is now disabled (by this failure or before) or gone: send it nothing more. */
  endpointEnabled: boolean;
}

/**
 * Marks a failed attempt finished, only while our lease holds (one whose lease ran out is due again
 * or belongs to another worker). Succeeded attempts are recorded in batches (`SuccessBatch`), with
 * the same guard.
 */
const FINISH_FAILED_SQL = `
  UPDATE events.deliveries SET status = 'failed', response_status = :responseStatus, duration_ms = :durationMs,
         failure = :failure, lease_until = NULL
   WHERE id = :id AND status = 'sending' AND lease_until = :leaseUntil::timestamptz`;

/**
 * Records a failed attempt in one transaction: marks it failed; starts the endpoint's run of
 * failures (`failing_since`) if none is running; disables the endpoint on `410 Gone` (`gone`) or
 * when its failures have lasted `failingDisableAfterMs` (`failing`), and then fails its pending
 * attempts ("endpoint disabled"); otherwise queues the next attempt, `delayMs` from now, unless
 * `delayMs` is null (the schedule is spent). An attempt number another path already queued (a
 * redelivery) is left as it is.
 */
export async function recordFailure(
  db: Knex,
  claimed: ClaimedDelivery,
  outcome: Extract<AttemptOutcome, { kind: 'failed' }>,
  next: { delayMs: number | null; failingDisableAfterMs: number },
): Promise<FailureRecorded> {
  return db.transaction(async (trx) => {
    const finished = await trx.raw<{ rowCount: number }>(FINISH_FAILED_SQL, {
      responseStatus: outcome.status ?? null, durationMs: Math.round(outcome.durationMs), failure: outcome.failure.slice(0, 500),
      id: claimed.id, leaseUntil: claimed.leaseUntil,
    });
    if (finished.rowCount === 0) return { recorded: false, endpointEnabled: true };
    const { rows } = await trx.raw<{ rows: Array<{ status: string; failing_too_long: boolean }> }>(
      `SELECT status, coalesce(failing_since, now()) <= now() - make_interval(secs => ?) AS failing_too_long
         FROM events.webhook_endpoints WHERE id = ? FOR UPDATE`, [next.failingDisableAfterMs / 1_000, claimed.endpointId]);
    const endpoint = rows[0];
    if (!endpoint) return { recorded: true, endpointEnabled: false };
    const enabled = endpoint.status === 'enabled';
    const disabled: DisabledReason | undefined = !enabled ? undefined
      : outcome.status === 410 ? 'gone' : endpoint.failing_too_long ? 'failing' : undefined;
    await trx.raw(`
      UPDATE events.webhook_endpoints SET failing_since = coalesce(failing_since, now()),
             status = CASE WHEN ?::text IS NULL THEN status ELSE 'disabled' END,
             disabled_reason = coalesce(?, disabled_reason),
             updated_at = CASE WHEN ?::text IS NULL THEN updated_at ELSE now() END
       WHERE id = ?`, [disabled ?? null, disabled ?? null, disabled ?? null, claimed.endpointId]);
    if (!enabled || disabled) {
      await trx.raw(`UPDATE events.deliveries SET status = 'failed', failure = 'endpoint disabled'
                      WHERE endpoint_id = ? AND status = 'pending'`, [claimed.endpointId]);
      return { recorded: true, endpointEnabled: false, ...(disabled ? { disabled } : {}) };
    }
    if (next.delayMs === null) return { recorded: true, endpointEnabled: true };
    await trx.raw(`
      INSERT INTO events.deliveries (id, event_id, endpoint_id, attempt, status, next_attempt_at)
      VALUES (events.new_id('dlv'), ?, ?, ?, 'pending', now() + make_interval(secs => ?))
      ON CONFLICT ON CONSTRAINT deliveries_one_row_per_attempt DO NOTHING`,
    [claimed.event.id, claimed.endpointId, claimed.attempt + 1, next.delayMs / 1_000]);
    return { recorded: true, endpointEnabled: true, nextAttemptInMs: next.delayMs };
  });
}

/**
 * Gives claimed attempts back, unsent, in one statement (each only while our lease holds): due again
 * `delayMs` from now, or with `null` when they were due before (in their place in the queue). For
 * attempts this worker will not send: a failure of its own (an endpoint secret it cannot unseal,
 * which is no fault of the endpoint and so no attempt), a wait for a slot that ran too long, an
 * endpoint disabled meanwhile (the next claim fails them), a stop.
 *
 * @returns how many were given back (the others were no longer ours)
 */
export async function releaseClaims(db: Knex, claimed: readonly ClaimedDelivery[], delayMs: number | null): Promise<number> {
  if (claimed.length === 0) return 0;
  const result = await db.raw<{ rowCount: number }>(`
    UPDATE events.deliveries d SET status = 'pending', lease_until = NULL, attempted_at = NULL,
           next_attempt_at = CASE WHEN :delaySeconds::float8 IS NULL THEN d.next_attempt_at
                                  ELSE now() + make_interval(secs => :delaySeconds::float8) END
      FROM unnest(:ids::text[], :leases::timestamptz[]) AS mine(id, lease_until)
     WHERE d.id = ANY (:ids::text[]) AND d.id = mine.id AND d.status = 'sending' AND d.lease_until = mine.lease_until`, {
    delaySeconds: delayMs === null ? null : delayMs / 1_000,
    ids: claimed.map((one) => one.id),
    leases: claimed.map((one) => one.leaseUntil),
  });
  return result.rowCount;
}
