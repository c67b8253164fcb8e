/**
 * The webhook delivery worker (docs/webhooks.md, "Delivery").
 *
 * **Why its own claim loop and not a job-queue library.** The queue already exists: every row of
 * `events.deliveries` is one attempt, and the first attempts are queued by `events.append`, a SQL
 * function that other packages call inside their own money transactions (`api.post_transfer`, the
 * grant revocations). A JavaScript job queue (pg-boss, graphile-worker) enqueues through its own
 * `send()` from JavaScript, or into its own tables: it cannot be called from inside those SQL
 * statements, and a second queue beside the deliveries table would have to be kept in step with
 * it. So the worker claims the table's rows itself, with `FOR UPDATE SKIP LOCKED` (`claim.ts`).
 *
 * **How.** One loop claims due attempts of all endpoints in one short statement (status `sending`,
 * a lease): for each endpoint as many as its 4 HTTP slots take, plus, for an endpoint that answers,
 * as many as it answered in the last 500 ms (up to 64 held: `DeliveryQueues`). Claimed attempts are
 * sent outside any transaction (`attemptDelivery`) as slots free, the endpoints taken round robin
 * (32 slots per worker), over kept-alive connections (`ConnectionPool`). Successes are recorded in
 * batches (`SuccessBatch`: one statement per 25 ms at most while they come); a failure is recorded
 * at once in its own transaction (`recordFailure`: the next attempt, disabling the endpoint), its
 * endpoint's other attempts held back meanwhile. Claims are at least 25 ms apart, so what came
 * meanwhile is claimed together; after a claim that found nothing, the loop sleeps
 * `pollIntervalMs` (200 ms), or until an attempt ends. Attempts whose lease ran out are made due
 * again once a second (`releaseExpiredLeases`). No LISTEN/NOTIFY: the money path stays free of it,
 * and an idle worker costs one indexed query per 200 ms and one per second.
 *
 * **Guarantees.** At least once: an attempt whose worker died (mid-send, or before sending what it
 * had claimed) is sent again once its lease runs out (60 s). Several workers on one database never
 * send one attempt twice while its lease runs: an attempt waits at most `queueWaitMaxMs` (2 s) for a
 * slot, or it is given back unsent; claim-ahead is only on when the lease covers that wait, the
 * timeout and 5 s to spare (with the shortest lease, 20 s, a worker claims only what its free slots
 * take), so every send ends within the lease of its claim; and an outcome is only recorded by the
 * lease's holder. An endpoint that never answers holds its four slots for the 15 s timeout and no
 * more, and is claimed no further ahead (it answered nothing lately), so it delays no other
 * endpoint's deliveries; nothing goes out on an endpoint's state older than the 2 s wait.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import type { SecretBox } from '../secrets.ts';
import { claimDueDeliveries, releaseExpiredLeases } from './claim.ts';
import type { ClaimedDelivery, ClaimResult } from './claim.ts';
import { ConnectionPool } from './connection-pool.ts';
import { deliverOne } from './deliver-one.ts';
import type { DeliverContext } from './deliver-one.ts';
import { DeliveryQueues } from './delivery-queues.ts';
import { releaseClaims } from './record-outcome.ts';
import { startRetentionPurge } from './retention-purge.ts';
import { cachingSecretBox } from './secret-cache.ts';
import { LEASE_MARGIN_MS, claimDepth } from './settings.ts';
import type { DeliverySettings } from './settings.ts';
import { SuccessBatch } from './success-batch.ts';
import { Wakeup } from './wakeup.ts';

type Logger = ReturnType<typeof createLogger>;

/** Input of {@link startDeliveryWorker}. */
export interface DeliveryWorkerOptions extends DeliverySettings {
  /** Opens the sealed endpoint secrets (`createSecretBox(WEBHOOK_SECRETS_KEY)`). */
  secrets: SecretBox;
  /** The worker's logger (`createLogger('webhook-worker', level)`). */
  logger: Logger;
  /** The jitter's randomness, a number in [0, 1) (default `Math.random`). */
  random?: () => number;
}

/** A running worker. */
export interface DeliveryWorker {
  /** Stops claiming, gives back what waits for a slot, waits for the attempts in flight (at most `timeoutMs`), their records and the retention purge; the database stays open. */
  stop(): Promise<void>;
}

/** After a failed claim (the database away), wait this long before the next, ms. */
const CLAIM_ERROR_BACKOFF_MS = 1_000;
/** Two claims are at least this far apart (unless the first left attempts behind a full endpoint), ms. */
const CLAIM_GAP_MS = 25;
/** Attempts whose lease ran out (their worker died) are made due again this often, ms. */
const EXPIRED_LEASES_EVERY_MS = 1_000;

/**
 * Starts delivering: the claim loop and the retention purge run until `stop()`.
 *
 * @param db knex on the database with schema `events` migrated (pool of at least 4: the claim,
 *   the outcomes and the purge share it)
 * @throws {AssertionError} for inconsistent settings (a lease shorter than an attempt's timeout plus 5 s)
 */
export function startDeliveryWorker(db: Knex, options: DeliveryWorkerOptions): DeliveryWorker {
  assert.ok(options.leaseMs >= options.timeoutMs + LEASE_MARGIN_MS, 'leaseMs must outlast timeoutMs by 5 s');
  const depthPerEndpoint = claimDepth(options);
  const queues = new DeliveryQueues({ ...options, depthPerEndpoint });
  const successes = new SuccessBatch(db);
  const connections = new ConnectionPool();
  const wakeup = new Wakeup();
  const tasks = new Set<Promise<void>>();
  let stopping = false;

  const track = (task: Promise<void>): void => {
    tasks.add(task);
    const forget = (): void => void tasks.delete(task);
    task.then(forget, forget);
  };
  /** Gives attempts back unsent, due as they were: the next claim (of any worker) takes them afresh. */
  const giveBack = (claimed: ClaimedDelivery[], why: string): void => {
    if (claimed.length === 0) return;
    track(releaseClaims(db, claimed, null).then(
      (count) => options.logger.debug({ count, why }, 'attempts given back unsent'),
      (error: unknown) => options.logger.error({ err: error, count: claimed.length, why }, 'giving attempts back failed; they are sent again when their lease runs out'),
    ));
  };
  /** Starts what the free slots allow; gives back what waited too long. */
  const pump = (): void => {
    if (stopping) return;
    const now = performance.now();
    for (let next = queues.next(now); next; next = queues.next(now)) track(deliverOne(next, context));
    giveBack(queues.takeStale(), `waited more than ${options.queueWaitMaxMs} ms for a slot`);
  };
  const context: DeliverContext = {
    db, settings: options, logger: options.logger, random: options.random ?? Math.random, secrets: cachingSecretBox(options.secrets),
    queues, successes, connections, giveBack,
    slotFreed: () => {
      wakeup.wake();
      pump();
    },
  };

  const loop = (async () => {
    let lastClaimAt = -Infinity;
    let lastReleaseAt = -Infinity;
    let behindFull = false;
    while (!stopping) {
      if (performance.now() - lastReleaseAt >= EXPIRED_LEASES_EVERY_MS) {
        lastReleaseAt = performance.now();
        await releaseExpiredLeases(db).then(
          (count) => count > 0 && options.logger.info({ count }, 'attempts whose lease ran out are due again'),
          (error: unknown) => options.logger.error({ err: error }, 'releasing expired leases failed; trying again'),
        );
      }
      if (queues.slotsFree === 0 || queues.heldFree === 0) {
        await wakeup.sleep(options.pollIntervalMs);
        continue;
      }
      const gap = lastClaimAt + CLAIM_GAP_MS - performance.now();
      if (!behindFull && gap > 0) await sleep(gap);
      lastClaimAt = performance.now();
      const room = queues.room(lastClaimAt);
      let result: ClaimResult;
      try {
        result = await claimDueDeliveries(db, { limit: queues.heldFree, room, roomDefault: queues.roomDefault, leaseMs: options.leaseMs });
      } catch (error) {
        options.logger.error({ err: error }, 'claiming deliveries failed; trying again');
        await wakeup.sleep(CLAIM_ERROR_BACKOFF_MS);
        continue;
      }
      const filled = queues.add(result.claimed, performance.now(), room);
      pump();
      // An endpoint now full whose backlog filled the scan may hide other endpoints' due attempts:
      // claim again at once, with that endpoint left out.
      behindFull = filled && result.scanFull;
      if (result.claimed.length === 0) await wakeup.sleep(options.pollIntervalMs);
    }
    giveBack(queues.takeQueued(), 'stopping');
  })();
  const retention = startRetentionPurge(db, { retentionDays: options.retentionDays, intervalMs: options.retentionIntervalMs }, options.logger);
  options.logger.info({ concurrencyTotal: options.concurrencyTotal, concurrencyPerEndpoint: options.concurrencyPerEndpoint, depthPerEndpoint }, 'delivering webhooks');

  return {
    async stop() {
      stopping = true;
      wakeup.wake();
      await loop;
      while (tasks.size > 0) await Promise.all(tasks);
      await successes.flush();
      connections.destroy();
      await retention.stop();
    },
  };
}
