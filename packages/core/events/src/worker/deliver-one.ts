import type { createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import type { SecretBox } from '../secrets.ts';
import { attemptDelivery } from './attempt-delivery.ts';
import type { ClaimedDelivery } from './claim.ts';
import type { ConnectionPool } from './connection-pool.ts';
import type { DeliveryQueues } from './delivery-queues.ts';
import { recordFailure, releaseClaims } from './record-outcome.ts';
import type { AttemptOutcome } from './record-outcome.ts';
import { retryDelayMs } from './retry-schedule.ts';
import type { DeliverySettings } from './settings.ts';
import type { SuccessBatch } from './success-batch.ts';

type Logger = ReturnType<typeof createLogger>;

/** An attempt this worker cannot sign (its `WEBHOOK_SECRETS_KEY` opens no secret) is given back for this long, ms. */
const UNSIGNABLE_RETRY_MS = 60_000;

/** What {@link deliverOne} works with: the worker's parts. */
export interface DeliverContext {
  db: Knex;
  settings: DeliverySettings;
  logger: Logger;
  /** The jitter's randomness, a number in [0, 1). */
  random: () => number;
  /** Opens endpoint secrets (remembering what it opened). */
  secrets: SecretBox;
  queues: DeliveryQueues;
  successes: SuccessBatch;
  connections: ConnectionPool;
  /** Called when the attempt's slot is free: starts what waits, wakes the claim loop. */
  slotFreed: () => void;
  /** Gives attempts back unsent. */
  giveBack: (claimed: ClaimedDelivery[], why: string) => void;
}

/**
 * Sends one claimed attempt (its slot taken) and records how it ended (docs/webhooks.md,
 * "Delivery"). A success frees the slot at once and joins the next batch of records. A failure
 * holds the endpoint's waiting attempts back until it is recorded, and gives them back if the
 * endpoint is disabled now (the next claim fails them: nothing more goes to it). A failure to record
 * (the database away) is logged: the attempt stays `sending` and is sent again when its lease runs
 * out (at least once). Never throws.
 */
export async function deliverOne(claimed: ClaimedDelivery, context: DeliverContext): Promise<void> {
  const { queues } = context;
  let child: Logger | undefined;
  const log = (): Logger => (child ??= context.logger.child({ deliveryId: claimed.id, eventId: claimed.event.id, endpointId: claimed.endpointId, attempt: claimed.attempt }));
  let slotHeld = true;
  const freeSlot = (succeeded = false): void => {
    if (!slotHeld) return;
    slotHeld = false;
    queues.finish(claimed.endpointId, succeeded ? performance.now() : undefined);
    context.slotFreed();
  };
  try {
    const result = await attemptDelivery(claimed, context.settings, context.secrets, context.connections);
    if (result.kind === 'outcome' && result.outcome.kind === 'succeeded') {
      const { outcome } = result;
      freeSlot(true);
      const recorded = await context.successes.add(claimed, outcome);
      if (!recorded) log().warn('delivered, but the attempt was no longer ours (the lease ran out, or the endpoint was deleted): not recorded');
      else if (context.logger.isLevelEnabled('debug')) log().debug({ status: outcome.status, durationMs: Math.round(outcome.durationMs) }, 'delivered');
      return;
    }
    queues.pause(claimed.endpointId);
    let endpointEnabled = true;
    try {
      if (result.kind === 'unsignable') {
        log().error({ reason: result.reason }, 'cannot open the endpoint secret (is WEBHOOK_SECRETS_KEY the one that sealed it?): not sent, given back');
        await releaseClaims(context.db, [claimed], UNSIGNABLE_RETRY_MS);
      } else if (result.outcome.kind === 'failed') {
        endpointEnabled = await recordFailed(claimed, result.outcome, context, log);
      }
    } finally {
      queues.resume(claimed.endpointId);
      if (!endpointEnabled) context.giveBack(queues.takeQueued(claimed.endpointId), 'endpoint disabled');
    }
  } catch (error) {
    log().error({ err: error }, 'recording the attempt failed; it is sent again when its lease runs out');
  } finally {
    freeSlot();
  }
}

/**
 * Records a failed attempt (its retry, or the endpoint disabled) after the successes recorded
 * before it, so that none of them can end a run of failures this one continues.
 *
 * @returns whether the endpoint is still enabled
 */
async function recordFailed(
  claimed: ClaimedDelivery, outcome: Extract<AttemptOutcome, { kind: 'failed' }>, context: DeliverContext, log: () => Logger,
): Promise<boolean> {
  const { settings } = context;
  await context.successes.flush();
  const delayMs = retryDelayMs(settings.retryScheduleMs, claimed.attempt, outcome, context.random);
  const recorded = await recordFailure(context.db, claimed, outcome, { delayMs, failingDisableAfterMs: settings.failingDisableAfterMs });
  const fields = { status: outcome.status, failure: outcome.failure, durationMs: Math.round(outcome.durationMs), nextAttemptInMs: recorded.nextAttemptInMs };
  if (!recorded.recorded) log().warn(fields, 'attempt failed, but it was no longer ours (the lease ran out, or the endpoint was deleted): not recorded');
  else if (recorded.disabled) log().warn({ ...fields, disabledReason: recorded.disabled }, 'endpoint disabled');
  else log().info(fields, 'attempt failed');
  return recorded.endpointEnabled;
}
