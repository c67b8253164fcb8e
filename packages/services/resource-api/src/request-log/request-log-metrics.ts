import { Counter, Gauge } from 'prom-client';
import type { Metric } from 'prom-client';

/** Why rows of the request log were lost. */
export type DropReason = 'buffer_full' | 'write_failed' | 'shutdown';

const DROP_REASONS: readonly DropReason[] = ['buffer_full', 'write_failed', 'shutdown'];

/** The request log's Prometheus metrics; the app registers them in its own registry (`/metrics`). */
export interface RequestLogMetrics {
  /**
   * `request_log_dropped_total{reason}`: rows never written. `buffer_full`: the buffer held its
   * maximum (PostgreSQL slow or down, or more calls than it takes); `write_failed`: the batch's
   * INSERT failed; `shutdown`: still buffered when the shutdown's wait ran out.
   */
  dropped: Counter<'reason'>;
  /** `request_log_written_total`: rows written. */
  written: Counter;
  /** Every metric above and `request_log_buffered_rows` (rows waiting in memory now). */
  all: readonly Metric[];
}

/**
 * Creates the metrics, registered nowhere yet (several apps may live in one process, each with its
 * registry). Every drop reason starts at 0, so a dashboard sees the series before the first drop.
 *
 * @param bufferedRows reads how many rows wait in memory, when `/metrics` is scraped
 */
export function createRequestLogMetrics(bufferedRows: () => number): RequestLogMetrics {
  const dropped = new Counter({
    name: 'request_log_dropped_total',
    help: 'Request log rows not written: buffer_full, write_failed or shutdown.',
    labelNames: ['reason'],
    registers: [],
  });
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  const written = new Counter({ name: 'request_log_written_total', help: 'Request log rows written to PostgreSQL.', registers: [] });
  const buffered = new Gauge({
    name: 'request_log_buffered_rows',
    help: 'Request log rows waiting in memory to be written.',
    registers: [],
    collect() {
      this.set(bufferedRows());
    },
  });
  return { dropped, written, all: [dropped, written, buffered] };
}
