import type { createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import { purgeExpiredEvents, purgeOrphanDeliveries } from '../event-log.ts';

type Logger = ReturnType<typeof createLogger>;

/** Events deleted per statement, and statements per run: one run deletes at most 100,000 events. */
const PURGE_BATCH = 1_000;
const PURGE_BATCHES_PER_RUN_MAX = 100;

/**
 * Deletes events older than `retentionDays` (and their deliveries), and attempts left without their
 * endpoint (`purgeOrphanDeliveries`), at start and then every
 * `intervalMs`, in batches of 1,000 (`purgeExpiredEvents`), at most 100 batches a run, so one run
 * never holds the database long. Several workers may purge at once: they only find less to delete.
 * A failed run is logged and tried again at the next interval.
 *
 * @returns `stop`, which waits for a run in progress to end
 */
export function startRetentionPurge(
  db: Knex,
  options: { retentionDays: number; intervalMs: number },
  logger: Logger,
): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const runOnce = async (): Promise<void> => {
    let deleted = 0;
    try {
      for (let batch = 0; batch < PURGE_BATCHES_PER_RUN_MAX && !stopped; batch += 1) {
        const count = await purgeExpiredEvents(db, options.retentionDays, PURGE_BATCH);
        deleted += count;
        if (count < PURGE_BATCH) break;
      }
      let orphans = 0;
      for (let batch = 0; batch < PURGE_BATCHES_PER_RUN_MAX && !stopped; batch += 1) {
        const count = await purgeOrphanDeliveries(db, PURGE_BATCH);
        orphans += count;
        if (count < PURGE_BATCH) break;
      }
      if (deleted > 0 || orphans > 0) logger.info({ deleted, orphans, retentionDays: options.retentionDays }, 'expired events and orphaned deliveries deleted');
    } catch (error) {
      logger.error({ err: error, deleted }, 'the retention purge failed; it runs again at the next interval');
    }
  };
  let running = runOnce();
  const schedule = (): void => {
    timer = setTimeout(() => {
      running = runOnce().then(() => { if (!stopped) schedule(); });
    }, options.intervalMs);
  };
  void running.then(() => { if (!stopped) schedule(); });
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
