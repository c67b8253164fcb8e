import DataLoader from 'dataloader';

/** Largest number of calls {@link batchedRoundTrips} puts in one batch unless told otherwise. */
export const ROUND_TRIP_BATCH_SIZE_MAX = 64;

/** Options of {@link batchedRoundTrips}. */
export interface RoundTripBatchOptions {
  /** Calls per batch at most, 1 to 1,000 (default {@link ROUND_TRIP_BATCH_SIZE_MAX}); more wait for the next batch. */
  maxBatchSize?: number;
}

/**
 * Groups concurrent calls into database round trips, one batch at a time (group commit): a call
 * made while no batch is running goes out at once, with whatever other calls its own tick of the
 * event loop made; calls made while a batch is running wait for it and then go out together, up to
 * `maxBatchSize` per batch. Under load, 32 concurrent requests cost a few statements instead of 32,
 * and so a few socket writes, parses, plans and commits; alone, a call waits for nothing.
 *
 * Every call reaches the database after it was made: no call is ever answered by a statement that
 * started before it (nothing is cached, duplicate keys are sent as they are), so a change committed
 * before a call is always seen by it. `run` answers each key with its value or an `Error` for that
 * key alone (its position matches the key's); a rejection of `run` fails every call of the batch.
 * Built on DataLoader with its cache off and a scheduler that keeps one batch in flight.
 *
 * @param run one round trip for the batch's keys (1 to `maxBatchSize` of them, in call order)
 * @returns the function to call per key; it resolves to that key's value or rejects with its error
 * @throws {RangeError} when `maxBatchSize` is not an integer from 1 to 1,000
 */
export function batchedRoundTrips<K, V>(
  run: (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>,
  options: RoundTripBatchOptions = {},
): (key: K) => Promise<V> {
  const maxBatchSize = options.maxBatchSize ?? ROUND_TRIP_BATCH_SIZE_MAX;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > 1000) {
    throw new RangeError(`maxBatchSize must be an integer from 1 to 1000, got ${String(maxBatchSize)}`);
  }
  let running = false;
  /** Dispatchers of batches that filled up or formed while one was running, oldest first. */
  const waiting: Array<() => void> = [];
  const next = (): void => {
    const dispatch = waiting.shift();
    running = dispatch !== undefined;
    dispatch?.();
  };
  const loader = new DataLoader<K, V>(async (keys) => {
    try {
      return await run(keys);
    } finally {
      next();
    }
  }, {
    cache: false,
    maxBatchSize,
    // DataLoader calls this once per new batch; the batch takes calls until `dispatch` runs. The
    // first waits for the promise jobs and ticks already queued (DataLoader's own default), so the
    // calls one request makes together (oidc-provider's `Promise.all` of token lookups) go together.
    batchScheduleFn: (dispatch) => {
      if (running) {
        waiting.push(dispatch);
        return;
      }
      running = true;
      void Promise.resolve().then(() => process.nextTick(dispatch));
    },
  });
  return (key) => loader.load(key);
}
