import type { Knex } from 'knex';
import type { ClaimedDelivery } from './claim.ts';

/** A batch is written this long after its first success at the latest, ms. */
export const SUCCESS_FLUSH_DELAY_MS = 25;
/** At most this many successes per statement; a full batch is written at once. */
export const SUCCESS_BATCH_MAX = 500;

/**
 * Records succeeded attempts, one statement for the whole batch: each attempt only while our lease
 * holds (status `sending` and `lease_until` as we claimed it: an attempt re-claimed by another worker
 * after our lease ran out belongs to that worker, and nothing of it is written). Ends the run of
 * failures (`failing_since`) of their endpoints, locked in id order so that two workers' batches
 * cannot deadlock on them. The rows are looked up by primary key whatever the estimates (`= ANY`).
 */
const SUCCESSES_SQL = `
  WITH outcome AS (
    SELECT * FROM unnest(:ids::text[], :leases::timestamptz[], :statuses::int[], :durations::int[])
      AS o(id, lease_until, response_status, duration_ms)
  ), finished AS (
    UPDATE events.deliveries d SET status = 'succeeded', response_status = o.response_status,
           duration_ms = o.duration_ms, failure = NULL, lease_until = NULL
      FROM outcome o
     WHERE d.id = ANY (:ids::text[]) AND d.id = o.id AND d.status = 'sending' AND d.lease_until = o.lease_until
    RETURNING d.id, d.endpoint_id
  ), recovering AS (
    SELECT w.id FROM events.webhook_endpoints w
     WHERE w.id IN (SELECT endpoint_id FROM finished) AND w.failing_since IS NOT NULL
     ORDER BY w.id FOR UPDATE
  ), cleared AS (
    UPDATE events.webhook_endpoints w SET failing_since = NULL FROM recovering WHERE w.id = recovering.id RETURNING w.id
  )
  SELECT id FROM finished`;

interface Waiting {
  claimed: ClaimedDelivery;
  status: number;
  durationMs: number;
  /** When it was queued, `performance.now()`. */
  atMs: number;
  settle: (recorded: boolean | Error) => void;
}

/**
 * Collects succeeded attempts and records them together (docs/webhooks.md, "Delivery"): a batch is
 * written {@link SUCCESS_FLUSH_DELAY_MS} after its first success, or at once when it holds
 * {@link SUCCESS_BATCH_MAX}; one statement at a time, so while one runs the next batch grows (the
 * slower the database, the fewer statements per delivery). A success waits for its record only to
 * log it: its endpoint's slot is free as soon as the answer came.
 */
export class SuccessBatch {
  readonly #db: Knex;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  /** What the latest {@link add} returned: batches are written in order, so once it settles all before it have. */
  #last: Promise<boolean> | undefined;

  constructor(db: Knex) {
    this.#db = db;
  }

  /**
   * Queues one success for the next batch.
   *
   * @returns true once recorded; false when the attempt was no longer ours (the lease ran out, or it
   *   was deleted with its endpoint): nothing was written
   * @throws the database's error when the batch could not be written (the attempts stay `sending`
   *   and are sent again when their lease runs out)
   */
  add(claimed: ClaimedDelivery, outcome: { status: number; durationMs: number }): Promise<boolean> {
    this.#last = new Promise((resolve, reject) => {
      this.#waiting.push({
        claimed, status: outcome.status, durationMs: Math.round(outcome.durationMs), atMs: performance.now(),
        settle: (recorded) => (recorded instanceof Error ? reject(recorded) : resolve(recorded)),
      });
      this.#schedule();
    });
    return this.#last;
  }

  /** Writes every success queued so far without waiting for the batch's time; resolves when they are written (or failed to be). */
  async flush(): Promise<void> {
    const last = this.#last;
    if (!this.#writing) this.#write();
    await last?.catch(() => undefined);
  }

  #schedule(): void {
    if (this.#writing) return; // the batch being written schedules the next when it ends
    const oldest = this.#waiting[0];
    if (!oldest) return;
    const dueInMs = oldest.atMs + SUCCESS_FLUSH_DELAY_MS - performance.now();
    if (this.#waiting.length >= SUCCESS_BATCH_MAX || dueInMs <= 0) this.#write();
    else this.#timer ??= setTimeout(() => this.#write(), dueInMs);
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting.splice(0, SUCCESS_BATCH_MAX);
    if (batch.length === 0) return;
    this.#writing = this.#record(batch).finally(() => {
      this.#writing = undefined;
      this.#schedule();
    });
  }

  async #record(batch: Waiting[]): Promise<void> {
    try {
      const { rows } = await this.#db.raw<{ rows: Array<{ id: string }> }>(SUCCESSES_SQL, {
        ids: batch.map((one) => one.claimed.id),
        leases: batch.map((one) => one.claimed.leaseUntil),
        statuses: batch.map((one) => one.status),
        durations: batch.map((one) => one.durationMs),
      });
      const recorded = new Set(rows.map((row) => row.id));
      for (const one of batch) one.settle(recorded.has(one.claimed.id));
    } catch (error) {
      for (const one of batch) one.settle(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
