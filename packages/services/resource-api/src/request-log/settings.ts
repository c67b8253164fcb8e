import { ConfigError } from '@payapi/platform';

/** How the request log buffers, writes and forgets (docs/resource-api.md, "Request log"). */
export interface RequestLogSettings {
  /** `REQUEST_LOG=on|off` (default on): off records nothing and purges nothing. */
  enabled: boolean;
  /** Rows held in memory at most; past it new rows are dropped and counted (`buffer_full`). */
  bufferRowsMax: number;
  /** Rows per INSERT at most; a full batch is written at once, without waiting for the interval. */
  batchRowsMax: number;
  /** What is buffered is written at least this often, milliseconds. */
  flushIntervalMs: number;
  /** Rows older than this many days are deleted (and never listed). */
  retentionDays: number;
  /** The purge runs this often, milliseconds (the first run one minute after start, or sooner if this is shorter). */
  purgeIntervalMs: number;
  /** Rows deleted per DELETE statement of the purge. */
  purgeBatchRows: number;
  /** One purge run stops starting new batches after this long, milliseconds (it runs again at the next interval). */
  purgeRunMaxMs: number;
  /** On shutdown, the last flush may take this long, milliseconds; rows still unwritten are counted (`shutdown`). */
  shutdownWaitMs: number;
}

/** The limits of {@link RequestLogSettings}, whatever `REQUEST_LOG` says. */
export const REQUEST_LOG_DEFAULTS: Omit<RequestLogSettings, 'enabled'> = {
  bufferRowsMax: 10_000,
  batchRowsMax: 1_000,
  flushIntervalMs: 500,
  retentionDays: 14,
  purgeIntervalMs: 3_600_000,
  purgeBatchRows: 5_000,
  purgeRunMaxMs: 300_000,
  shutdownWaitMs: 5_000,
};

/**
 * Reads `REQUEST_LOG`: `on` (the default, also when empty) or `off`.
 *
 * @throws {ConfigError} naming `REQUEST_LOG` for any other value
 */
export function readRequestLogSettings(env: Readonly<Record<string, string | undefined>>): RequestLogSettings {
  const value = env.REQUEST_LOG ?? '';
  if (value !== '' && value !== 'on' && value !== 'off') throw new ConfigError('REQUEST_LOG', `must be on or off, not "${value.slice(0, 40)}"`);
  return { enabled: value !== 'off', ...REQUEST_LOG_DEFAULTS };
}
