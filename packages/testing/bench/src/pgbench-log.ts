/** What {@link parsePgbenchLog} read from pgbench's per-transaction logs (`-l`). */
export interface PgbenchLogSummary {
  /** Latency of each completed transaction, milliseconds, in file order. */
  latenciesMs: number[];
  /** Transactions logged as `failed` or `skipped` instead of a time. */
  failed: number;
  /** Earliest and latest completion (`time_epoch` + `time_us`), seconds since the epoch; NaN when empty. */
  firstEndS: number;
  lastEndS: number;
}

/**
 * Reads pgbench's per-transaction log lines (PostgreSQL 15+ format, one file per thread:
 * `client_id transaction_no time script_no time_epoch time_us [schedule_lag] [retries]`, where
 * `time` is the transaction's elapsed time in microseconds, or `failed`/`skipped`).
 *
 * @param text the contents of one or more log files, concatenated
 * @throws {Error} naming the line for a line that is not in that format (so a changed format is
 *   noticed instead of silently giving wrong percentiles)
 */
export function parsePgbenchLog(text: string): PgbenchLogSummary {
  const latenciesMs: number[] = [];
  let failed = 0;
  let firstEndS = Number.POSITIVE_INFINITY;
  let lastEndS = Number.NEGATIVE_INFINITY;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const [, , time, , epoch, micros] = fields;
    if (fields.length < 6 || !/^\d+$/.test(epoch ?? '') || !/^\d+$/.test(micros ?? '')) {
      throw new Error(`pgbench log line ${index + 1} is not "client transaction time script epoch us": ${line.slice(0, 120)}`);
    }
    if (time === 'failed' || time === 'skipped') {
      failed += 1;
      continue;
    }
    if (!/^\d+$/.test(time ?? '')) throw new Error(`pgbench log line ${index + 1} has no time in microseconds: ${line.slice(0, 120)}`);
    latenciesMs.push(Number(time) / 1000);
    const endS = Number(epoch) + Number(micros) / 1e6;
    if (endS < firstEndS) firstEndS = endS;
    if (endS > lastEndS) lastEndS = endS;
  }
  return latenciesMs.length === 0
    ? { latenciesMs, failed, firstEndS: Number.NaN, lastEndS: Number.NaN }
    : { latenciesMs, failed, firstEndS, lastEndS };
}

/**
 * The `tps = …` figure pgbench prints (the one "without initial connection time" where both are given).
 *
 * @returns transactions per second, or undefined when the output has no such line
 */
export function parsePgbenchTps(output: string): number | undefined {
  const excluding = /^tps = ([0-9.]+) \(without initial connection time\)/m.exec(output);
  const any = excluding ?? /^tps = ([0-9.]+)/m.exec(output);
  return any ? Number(any[1]) : undefined;
}
