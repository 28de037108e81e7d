import type { ContributionStore } from "@semla/registry";

/** A contribution store that records after the answer, and what it still owes. */
export interface AfterAnswerContributions extends ContributionStore {
  /** Resolves once every record started so far has been written or reported failed. */
  settled(): Promise<void>;
}

/**
 * Records a served request's contributions without holding its answer for the database's round
 * trip (one INSERT; 1–2 ms on loopback, more under load: bench/api.bench.ts). `record` starts the
 * write and returns; `stats` first waits for the writes this process has started, so an answer's
 * contributions are in the stats read after it, as when the write was awaited. A failed write is
 * handed to `failed` (the answer has gone already). For long-lived processes only: where work after
 * the answer may be frozen (Lambda), serve the store itself, whose `record` is awaited.
 */
export function recordAfterAnswer(store: ContributionStore, failed: (error: unknown) => void): AfterAnswerContributions {
  const pending = new Set<Promise<void>>();
  const settled = async () => {
    while (pending.size > 0) await Promise.all(pending);
  };
  return {
    record(libraryId, requestId, items) {
      const write = store
        .record(libraryId, requestId, items)
        .catch(failed)
        .finally(() => pending.delete(write));
      pending.add(write);
      return Promise.resolve();
    },
    async stats(tenant, libraryId, options) {
      await settled();
      return store.stats(tenant, libraryId, options);
    },
    settled,
  };
}
