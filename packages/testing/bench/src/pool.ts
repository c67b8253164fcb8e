/**
 * Runs `task(0) … task(count - 1)` with at most `concurrency` running at once.
 *
 * @returns the results in index order
 * @throws the first error a task throws (the others already started are awaited first)
 */
export async function mapConcurrent<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
    while (next < count && failure === undefined) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  }));
  if (failure !== undefined) throw failure.error;
  return results;
}
