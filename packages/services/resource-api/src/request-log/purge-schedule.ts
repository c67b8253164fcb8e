import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { RequestLogSettings } from './settings.ts';
import { purgeRequestLogBatch } from './store.ts';

/** The first purge runs this long after start (sooner when the interval is shorter), milliseconds. */
const FIRST_PURGE_DELAY_MS = 60_000;

/** A purge that runs on its own schedule. */
export interface PurgeSchedule {
  /** One run now (or the run in progress): batches until nothing older is left or the run's time is up. */
  runOnce(): Promise<number>;
  /** No further runs; waits for the batch in flight, if any. */
  stop(): Promise<void>;
}

type PurgeSettings = Pick<RequestLogSettings, 'retentionDays' | 'purgeIntervalMs' | 'purgeBatchRows' | 'purgeRunMaxMs'>;

/**
 * Deletes request-log rows older than `retentionDays`: one minute after start, then every
 * `purgeIntervalMs`, in DELETEs of `purgeBatchRows` rows, for at most `purgeRunMaxMs` a run, so a
 * run never holds the database long and a backlog is worked off over several runs. A failed run is
 * logged and tried again at the next interval. The timer does not keep the process alive.
 */
export function startPurgeSchedule(db: Knex, settings: PurgeSettings, logger: Logger): PurgeSchedule {
  let stopped = false;
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const run = async (): Promise<number> => {
    const started = performance.now();
    let deleted = 0;
    try {
      while (!stopped && performance.now() - started < settings.purgeRunMaxMs) {
        const count = await purgeRequestLogBatch(db, settings.retentionDays, settings.purgeBatchRows);
        deleted += count;
        if (count < settings.purgeBatchRows) break;
      }
      if (deleted > 0) logger.info({ deleted, retentionDays: settings.retentionDays }, 'request log: old rows deleted');
    } catch (error) {
      logger.error({ err: error, deleted }, 'request log: the purge failed; it runs again at the next interval');
    }
    return deleted;
  };
  const runOnce = (): Promise<number> => {
    running ??= run().finally(() => { running = undefined; });
    return running;
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().then(() => schedule(settings.purgeIntervalMs)), delayMs);
    timer.unref();
  };
  schedule(Math.min(FIRST_PURGE_DELAY_MS, settings.purgeIntervalMs));
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
