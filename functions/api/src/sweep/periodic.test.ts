import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "@semla/observability";
import { createPgliteAdapterIndex, type DrizzleAdapterIndex } from "@semla/registry";
import { createTestPgliteIndex, newAdapter, openTestPglite } from "@semla/registry/testing";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startPeriodicSweep } from "./periodic.js";

describe("the Node server's periodic sweep", () => {
  let root: string;
  let index: DrizzleAdapterIndex;
  let store: BlobStore;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", (line) => void lines.push(JSON.parse(line) as Record<string, unknown>));

  // One registry for the file: each test abandons uploads in a library of its own and looks only at those.
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-sweep-"));
    index = await createTestPgliteIndex();
    store = createFsBlobStore({ root });
  });
  afterAll(async () => {
    await index?.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    lines.length = 0;
  });

  /** What PostgreSQL going down mid-upload leaves: a pending row, its object never written. */
  async function abandonedUpload(): Promise<string> {
    const library = await index.createLibrary({ tenant: "t", name: `lib-${randomUUID()}`, baseModelId: "m", embeddingModelId: "e", dimension: 2, metric: "euclidean" });
    return (await index.insertPending(newAdapter(library.id, "halfway", [1, 0]))).id;
  }

  /** Whether the pending row `id` is still there (not swept). */
  const pending = async (id: string) => (await index.stalePending(new Date(Date.now() + 3_600_000))).some((row) => row.id === id);

  it("sweeps at start: the abandoned pending row is gone once stop() returns, and the removal is logged", async () => {
    const id = await abandonedUpload();
    const sweeper = startPeriodicSweep({ index, store }, { intervalMs: 60_000, logger, sweepOptions: { pendingAfterMs: 0, orphanAfterMs: 0 } });
    await sweeper.stop();
    expect(await pending(id)).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ level: "info", msg: "swept interrupted uploads", pendingRemoved: 1, orphansRemoved: 0 }));
  });

  it("sweeps again every interval", async () => {
    const sweeper = startPeriodicSweep({ index, store }, { intervalMs: 50, logger, sweepOptions: { pendingAfterMs: 0, orphanAfterMs: 0 } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the first sweep, on an empty registry, is done
      const id = await abandonedUpload();
      for (let waited = 0; await pending(id); waited += 25) {
        if (waited > 5000) throw new Error("no sweep within 5 s");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await sweeper.stop();
    }
  });

  it("an interval of 0 never sweeps", async () => {
    const id = await abandonedUpload();
    await startPeriodicSweep({ index, store }, { intervalMs: 0, logger, sweepOptions: { pendingAfterMs: 0 } }).stop();
    expect(await pending(id)).toBe(true);
  });

  it("a sweep that fails (the database down) is logged as a warning and never throws; the server goes on", async () => {
    const client = await openTestPglite();
    const closedIndex = await createPgliteAdapterIndex({ client });
    await client.close();
    await startPeriodicSweep({ index: closedIndex, store }, { intervalMs: 60_000, logger }).stop();
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "sweep failed; the next one tries again", error: expect.stringMatching(/registry database is unavailable/) }));
  });
});
