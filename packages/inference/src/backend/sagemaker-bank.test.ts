import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Mixture } from "@semla/adapters";
import { smallAdapter, sourcesOf } from "@semla/adapters/testing";
import { fusion } from "@semla/core";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bankManifestKey } from "../transport/schemas.js";
import type { BankAdapter, BankLibrary } from "../types.js";
import { createBankPlans } from "./sagemaker-bank.js";

// The API side of bank mode, apart from SageMaker: when a request gets a bank plan, what is
// published, and every way it goes without one (and by its adapter reference instead).

const { sources } = sourcesOf([smallAdapter(1), smallAdapter(2), smallAdapter(3)], [0.5, 0.3, 0.2]);
const bankAdapters: BankAdapter[] = sources.map(({ sha256, objectKey, config }) => ({ sha256, objectKey, config }));
const image = new Uint8Array([1, 2, 3]);
const cat = (weights: readonly number[], from = [0, 1, 2]): Mixture => ({
  sources: from.map((i, n) => ({ ...sources[i]!, weight: weights[n]! })),
  options: { combination: "cat" },
});

describe("createBankPlans", () => {
  let dir: string;
  let store: BlobStore;
  const asked: string[] = [];
  const library = (id: string, generation: number, adapters: readonly BankAdapter[] | null = bankAdapters): BankLibrary => ({
    id,
    generation,
    bankAdapters: async () => (asked.push(`${id}@${generation}`), adapters),
  });
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-bank-plans-"));
    store = createFsBlobStore({ root: dir });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("publishes the manifest of a generation once, and maps each plan's sources to their indices in it", async () => {
    const plans = createBankPlans(store);
    const plan = await plans.plan({ image, classNames: ["a"], mixture: cat([0.6, 0.4], [2, 0]), library: library("lib-a", 5) });
    expect(plan).toEqual({ library: "lib-a", generation: 5, indices: [2, 0], weights: [0.6, 0.4] });
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(bankManifestKey("lib-a", 5))));
    expect(manifest).toEqual({ library: "lib-a", generation: 5, adapters: bankAdapters });
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([1], [1]), library: library("lib-a", 5) })).toMatchObject({ indices: [1], weights: [1] });
    // Another process reads the published manifest: its order, without asking the registry.
    const other = createBankPlans(store);
    expect(await other.plan({ image, classNames: ["a"], mixture: cat([1], [1]), library: library("lib-a", 5, null) })).toMatchObject({ indices: [1] });
    expect(asked).toEqual(["lib-a@5"]);
  });

  it("sends no plan without a library, for a non-linear combination, or for a source outside the manifest", async () => {
    const plans = createBankPlans(store);
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([1], [0]) })).toBeNull();
    const ties = { ...cat([0.5, 0.5], [0, 1]), options: fusion.parseFusionOptions({ combination: "ties", density: 0.5 }) };
    expect(await plans.plan({ image, classNames: ["a"], mixture: ties, library: library("lib-b", 1) })).toBeNull();
    expect(await plans.plan({ image, classNames: ["a"], mixture: null, library: library("lib-b", 1) })).toBeNull();
    expect(asked.filter((a) => a.startsWith("lib-b"))).toEqual([]);
    const two = library("lib-b", 1, bankAdapters.slice(0, 2));
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([0.5, 0.5], [0, 2]), library: two })).toBeNull();
  });

  it("publishes nothing for a generation the library has moved on from, and sends no plan for a generation older than the one known", async () => {
    const plans = createBankPlans(store);
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([1], [0]), library: library("lib-c", 2, null) })).toBeNull();
    expect(await store.head(bankManifestKey("lib-c", 2))).toBeUndefined();
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([1], [0]), library: library("lib-c", 3) })).toMatchObject({ generation: 3 });
    expect(await plans.plan({ image, classNames: ["a"], mixture: cat([1], [0]), library: library("lib-c", 2) })).toBeNull();
    expect(asked.filter((a) => a.startsWith("lib-c"))).toEqual(["lib-c@2", "lib-c@3"]);
  });

  it("goes without a plan when the store fails, and tries again once retryAfterMs has passed", async () => {
    let failing = true;
    let clock = 1_000;
    const flaky: BlobStore = {
      ...store,
      put: (key, body, options) => (failing ? Promise.reject(new Error("store down")) : store.put(key, body, options)),
    };
    const plans = createBankPlans(flaky, { retryAfterMs: 500, now: () => clock });
    const request = { image, classNames: ["a"], mixture: cat([1], [0]), library: library("lib-d", 1) };
    expect(await plans.plan(request)).toBeNull();
    failing = false;
    clock += 499;
    expect(await plans.plan(request)).toBeNull();
    expect(asked.filter((a) => a.startsWith("lib-d"))).toEqual(["lib-d@1"]);
    clock += 1;
    expect(await plans.plan(request)).toMatchObject({ indices: [0] });
    expect(asked.filter((a) => a.startsWith("lib-d"))).toEqual(["lib-d@1", "lib-d@1"]);
  });
});
