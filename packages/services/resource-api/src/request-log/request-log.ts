import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Metric } from 'prom-client';
import { startPurgeSchedule } from './purge-schedule.ts';
import { createRequestLogMetrics } from './request-log-metrics.ts';
import type { DropReason } from './request-log-metrics.ts';
import type { RequestLogSettings } from './settings.ts';
import { insertRequestLogRows } from './store.ts';
import type { RequestLogRow } from './store.ts';

/** Warnings about lost rows are written at most this often, milliseconds. */
const WARN_INTERVAL_MS = 60_000;

/**
 * The request log of one API process (docs/resource-api.md, "Request log"): a bounded buffer in
 * memory, written to `api.request_log` in batches off the request path.
 */
export interface RequestLog {
  /**
   * Buffers one row. Never waits and never throws: when the buffer is full (or the log is closed)
   * the row is dropped and counted in `request_log_dropped_total`.
   */
  record(row: RequestLogRow): void;
  /**
   * Writes everything buffered now, in batches, after the flush in progress if any (flushes never
   * overlap). Never rejects: a failed batch is dropped, counted (`write_failed`) and logged, and
   * this returns at once.
   */
  flush(): Promise<void>;
  /** Runs the purge now (see `startPurgeSchedule`). @returns rows deleted */
  purge(): Promise<number>;
  /**
   * For shutdown: stops the timers, writes what is buffered (one flush, at most
   * `shutdownWaitMs`), and counts what is left as dropped (`shutdown`). Later rows are dropped too.
   */
  close(): Promise<void>;
  /** Its Prometheus metrics, to register in the app's registry. */
  readonly metrics: readonly Metric[];
}

type BufferSettings = Omit<RequestLogSettings, 'enabled'>;

/**
 * Starts a request log writing to `db`: every `flushIntervalMs`, or as soon as `batchRowsMax`
 * rows wait, one INSERT of at most `batchRowsMax` rows; at most `bufferRowsMax` rows in memory;
 * one flush at a time, so a slow or unreachable PostgreSQL holds one connection of `db` and fills
 * the buffer, whose overflow is dropped and counted, instead of piling up statements or memory.
 * The purge runs on its own schedule (see `startPurgeSchedule`). Timers never keep the process alive.
 *
 * @param db the knex to write with (the API process gives it a pool of its own, see main.ts)
 * @param logger where lost rows and failures are reported (warn, at most once a minute)
 */
export function createRequestLog(db: Knex, settings: BufferSettings, logger: Logger): RequestLog {
  let buffer: RequestLogRow[] = [];
  let flushing: Promise<boolean> | undefined;
  let soon: NodeJS.Immediate | undefined;
  let closed = false;
  const metrics = createRequestLogMetrics(() => buffer.length);
  const lost = { buffer_full: 0, write_failed: 0, shutdown: 0, lastWarnMs: -Infinity, lastError: undefined as unknown };

  const drop = (reason: DropReason, rows: number): void => {
    metrics.dropped.inc({ reason }, rows);
    lost[reason] += rows;
  };
  const warnLost = (force: boolean): void => {
    const total = lost.buffer_full + lost.write_failed + lost.shutdown;
    if (total === 0 || (!force && performance.now() - lost.lastWarnMs < WARN_INTERVAL_MS)) return;
    logger.warn({ droppedRows: { buffer_full: lost.buffer_full, write_failed: lost.write_failed, shutdown: lost.shutdown }, err: lost.lastError },
      'request log: rows dropped (see request_log_dropped_total)');
    Object.assign(lost, { buffer_full: 0, write_failed: 0, shutdown: 0, lastWarnMs: performance.now(), lastError: undefined });
  };

  /** Writes the rows buffered when it starts (and more while full batches wait); false when a batch failed. */
  const drain = async (): Promise<boolean> => {
    let budget = buffer.length;
    while (buffer.length > 0 && (budget > 0 || buffer.length >= settings.batchRowsMax)) {
      const batch = buffer.length <= settings.batchRowsMax ? buffer : buffer.slice(0, settings.batchRowsMax);
      buffer = batch === buffer ? [] : buffer.slice(batch.length);
      budget -= batch.length;
      try {
        await insertRequestLogRows(db, batch);
        metrics.written.inc(batch.length);
      } catch (error) {
        drop('write_failed', batch.length);
        lost.lastError = error;
        warnLost(false);
        return false;
      }
    }
    return true;
  };
  const startFlush = (): Promise<boolean> => {
    flushing ??= drain().finally(() => { flushing = undefined; });
    return flushing;
  };

  const interval = setInterval(() => {
    if (buffer.length > 0 && !flushing) void startFlush();
    warnLost(false);
  }, settings.flushIntervalMs);
  interval.unref();
  const purge = startPurgeSchedule(db, settings, logger);

  const flush = async (): Promise<void> => {
    for (;;) {
      if (flushing) await flushing;
      else if (buffer.length === 0 || !(await startFlush())) return;
    }
  };
  return {
    record(row) {
      if (closed) return drop('shutdown', 1);
      if (buffer.length >= settings.bufferRowsMax) return drop('buffer_full', 1);
      buffer.push(row);
      // A full batch is written at once, on the next turn of the event loop (never in the answer's path).
      if (buffer.length >= settings.batchRowsMax && !flushing && !soon) {
        soon = setImmediate(() => {
          soon = undefined;
          if (!flushing) void startFlush();
        });
      }
    },
    flush,
    purge: () => purge.runOnce(),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(interval);
      if (soon) clearImmediate(soon);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => { timer = setTimeout(resolve, settings.shutdownWaitMs); });
      await Promise.race([Promise.all([flush(), purge.stop()]), waited]);
      clearTimeout(timer);
      if (buffer.length > 0) drop('shutdown', buffer.length);
      buffer = [];
      warnLost(true);
    },
    metrics: metrics.all,
  };
}
