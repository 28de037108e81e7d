/**
 * Runs task(0) … task(count − 1) with at most `limit` in flight and resolves to their results in
 * index order. After the first failure no new task starts, and the promise rejects with that
 * failure only once every running task has settled, so a caller cleaning up (aborting a multipart
 * upload) never races a task that is still writing.
 */
export async function mapLimited<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  const results = new Array<T>(count);
  let next = 0;
  let failure: { error: unknown } | undefined;

  async function worker(): Promise<void> {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        results[index] = await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
