import type { Contribution, ContributionStore, LibraryContributionStats } from "@semla/registry";
import { describe, expect, it } from "vitest";
import { recordAfterAnswer } from "./after-answer.js";

const ITEM: Contribution = { adapterId: "a1", rank: 1, weight: 0.75, distance: 0.125 };

/** A store whose writes finish when the test says so, and whose stats count the writes finished. */
function heldStore() {
  const written: string[] = [];
  const holds: { finish: () => void; fail: (error: Error) => void }[] = [];
  const store: ContributionStore = {
    record: (_libraryId, requestId) =>
      new Promise<void>((resolve, reject) => {
        holds.push({
          finish: () => {
            written.push(requestId);
            resolve();
          },
          fail: reject,
        });
      }),
    stats: async (_tenant, libraryId): Promise<LibraryContributionStats> => ({ libraryId, requests: written.length, adapters: [] }),
  };
  return { store, written, holds };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("contributions recorded after the answer", () => {
  it("returns from record before the write finishes, and the write goes to the store", async () => {
    const { store, written, holds } = heldStore();
    const contributions = recordAfterAnswer(store, () => {});
    await contributions.record("lib", "req-1", [ITEM]);
    expect(holds).toHaveLength(1);
    expect(written).toEqual([]);
    holds[0]?.finish();
    await contributions.settled();
    expect(written).toEqual(["req-1"]);
  });

  it("answers stats only after the writes already started, so a request's contributions are in the stats read after its answer", async () => {
    const { store, holds } = heldStore();
    const contributions = recordAfterAnswer(store, () => {});
    await contributions.record("lib", "req-1", [ITEM]);
    await contributions.record("lib", "req-2", [ITEM]);
    let answered: LibraryContributionStats | undefined;
    const stats = contributions.stats("tenant", "lib").then((s) => (answered = s));
    await tick();
    expect(answered).toBeUndefined();
    holds[0]?.finish();
    await tick();
    expect(answered).toBeUndefined();
    holds[1]?.finish();
    await stats;
    expect(answered).toEqual({ libraryId: "lib", requests: 2, adapters: [] });
  });

  it("hands a failed write to the failure callback, and stats still answer", async () => {
    const { store, holds } = heldStore();
    const failures: unknown[] = [];
    const contributions = recordAfterAnswer(store, (error) => failures.push(error));
    await contributions.record("lib", "req-1", [ITEM]);
    const outage = new Error("connection refused");
    holds[0]?.fail(outage);
    await contributions.settled();
    expect(failures).toEqual([outage]);
    expect(await contributions.stats("tenant", "lib")).toEqual({ libraryId: "lib", requests: 0, adapters: [] });
  });

  it("is settled at once when nothing is pending", async () => {
    const { store } = heldStore();
    await expect(recordAfterAnswer(store, () => {}).settled()).resolves.toBeUndefined();
  });
});
