import { describe, expect, test } from '@jest/globals';
import { batchedRoundTrips } from './round-trip-batches.ts';

/** A `run` whose batches stay open until the test releases them, recording each batch's keys. */
function controlledRun() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const run = async (keys: readonly number[]): Promise<Array<number | Error>> => {
    batches.push([...keys]);
    await new Promise<void>((resolve) => releases.push(resolve));
    return keys.map((key) => (key < 0 ? new Error(`refused ${key}`) : key * 10));
  };
  /** Waits until `count` batches have started. */
  const started = async (count: number): Promise<void> => {
    while (batches.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, run, started, release: (index: number) => releases[index]?.() };
}

describe('batchedRoundTrips', () => {
  test('calls of one tick go out together as one batch, in call order', async () => {
    const { batches, run, started, release } = controlledRun();
    const call = batchedRoundTrips(run);
    const answers = Promise.all([call(1), call(2), call(3)]);
    await started(1);
    release(0);
    expect(await answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  test('calls made while a batch runs wait for it and then go out together; none joins the batch already sent', async () => {
    const { batches, run, started, release } = controlledRun();
    const call = batchedRoundTrips(run);
    const first = call(1);
    await started(1);
    const later = [call(2), call(3)];
    await new Promise((resolve) => setImmediate(resolve));
    const alsoLater = call(4);
    // Nothing goes out while the first batch runs.
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    release(0);
    expect(await first).toBe(10);
    await started(2);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    release(1);
    expect(await Promise.all([...later, alsoLater])).toEqual([20, 30, 40]);
  });

  test('a batch holds at most maxBatchSize calls; the rest go in the following batches, one batch at a time', async () => {
    const { batches, run, started, release } = controlledRun();
    const call = batchedRoundTrips(run, { maxBatchSize: 2 });
    const answers = Promise.all([1, 2, 3, 4, 5].map((key) => call(key)));
    await started(1);
    expect(batches).toEqual([[1, 2]]);
    release(0);
    await started(2);
    expect(batches).toEqual([[1, 2], [3, 4]]);
    release(1);
    await started(3);
    release(2);
    expect(await answers).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  test('an Error answered for one key fails that call alone', async () => {
    const { run, started, release } = controlledRun();
    const call = batchedRoundTrips(run);
    const outcomes = Promise.allSettled([call(1), call(-2), call(3)]);
    await started(1);
    release(0);
    const [one, two, three] = await outcomes;
    expect(one).toEqual({ status: 'fulfilled', value: 10 });
    expect(two).toMatchObject({ status: 'rejected', reason: new Error('refused -2') });
    expect(three).toEqual({ status: 'fulfilled', value: 30 });
  });

  test('a failed round trip fails every call of its batch, and the next batch still goes out', async () => {
    let calls = 0;
    const call = batchedRoundTrips<number, number>(async (keys) => {
      calls += 1;
      if (calls === 1) throw new Error('connection lost');
      return keys.map((key) => key * 10);
    });
    const failed = await Promise.allSettled([call(1), call(2), call(3)]);
    expect(failed).toEqual([1, 2, 3].map(() => ({ status: 'rejected', reason: new Error('connection lost') })));
    expect(await Promise.all([call(4), call(5)])).toEqual([40, 50]);
    expect(calls).toBe(2);
  });

  test('maxBatchSize must be an integer from 1 to 1000', () => {
    const run = async (keys: readonly number[]) => keys;
    expect(() => batchedRoundTrips(run, { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => batchedRoundTrips(run, { maxBatchSize: 1.5 })).toThrow(RangeError);
    expect(() => batchedRoundTrips(run, { maxBatchSize: 1001 })).toThrow(RangeError);
  });
});
