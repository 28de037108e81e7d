import { fusion, isSemlaError } from "@semla/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapters } from "./adapters.js";
import { catManifestSha256, mixtureSha256 } from "./identity/names.js";
import { type CountingStore, countingStoreWith } from "./testing/counting-store.js";
import { smallAdapter, sourceObjectKey, sourcesOf } from "./testing/fixtures.js";
import type { Mixture } from "./types.js";

const adapters = [smallAdapter(1), smallAdapter(2, 3), smallAdapter(3)];
const { sources, files } = sourcesOf(adapters, [0.5, 0.3, 0.2]);
const cat: Mixture = { sources, options: { combination: "cat" } };
// linear needs equal ranks: the first and the last adapter.
const linear: Mixture = { sources: [sources[0]!, sources[2]!], options: { combination: "linear" } };

describe("createAdapters", () => {
  let store: CountingStore;
  beforeEach(async () => {
    store = await countingStoreWith(sources, files);
  });
  afterEach(() => store.remove());

  it("loads a stored adapter once, verified: warm loads do not touch the store", async () => {
    const unit = createAdapters({ store });
    const first = await unit.load(sources[0]!);
    expect(await unit.load(sources[0]!)).toBe(first);
    expect(store.calls.get).toBe(1);
    expect(first.modules.map((m) => [...m.a])).toEqual(adapters[0]!.modules.map((m) => [...m.a]));
  });

  it("fuses a mixture exactly as core fusion does, once, under its name, timing load and fuse", async () => {
    const unit = createAdapters({ store });
    const stages: string[] = [];
    const stage = <T>(name: string, work: () => Promise<T>) => (stages.push(name), work());
    const first = await unit.fuse(linear, { stage });
    expect(first).toMatchObject({ sha256: mixtureSha256(linear), cached: false });
    const byHand = fusion.fuseAdapters(
      [0, 2].map((i) => ({ adapter: adapters[i]!, weight: sources[i]!.weight })),
      { combination: "linear" },
    );
    expect(first.adapter.modules.map((m) => [...m.b])).toEqual(byHand.modules.map((m) => [...m.b]));
    expect(stages).toEqual(["load", "fuse"]);
    const second = await unit.fuse(linear, { stage });
    expect(second).toEqual({ ...first, cached: true });
    expect(stages).toEqual(["load", "fuse"]); // nothing loaded or fused again
    expect(store.calls.get).toBe(2);
  });

  it("is one cache: a cat manifest of a mixture fused here resolves from it, reading and fusing nothing", async () => {
    const unit = createAdapters({ store });
    const fused = await unit.fuse(cat);
    const resolved = await unit.resolve({ kind: "cat", sha256: catManifestSha256(sources), sources });
    expect(resolved).toMatchObject({ kind: "cat", sha256: fused.sha256, cached: true });
    expect(resolved.adapter).toBe(fused.adapter);
    expect(store.calls.get).toBe(3);
  });

  it("answers a missing or altered object alike from every path: adapters.*, kind internal", async () => {
    const missingSha = "d".repeat(64);
    const missing = { ...sources[1]!, sha256: missingSha, objectKey: sourceObjectKey(missingSha, 9) };
    const alteredSha = "e".repeat(64);
    const altered = { ...sources[2]!, sha256: alteredSha, objectKey: sourceObjectKey(alteredSha, 8) };
    await store.put(altered.objectKey, files[2]!);
    for (const [source, code] of [
      [missing, "adapters.missing-object"],
      [altered, "adapters.integrity"],
    ] as const) {
      const paths = [
        () => createAdapters({ store }).load(source),
        () => createAdapters({ store }).fuse({ sources: [sources[0]!, source], options: { combination: "cat" } }),
        () => createAdapters({ store }).resolve({ kind: "cat", sha256: catManifestSha256([sources[0]!, source]), sources: [sources[0]!, source] }),
      ];
      for (const path of paths) {
        const error = await path().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isSemlaError(error) && { code: error.code, kind: error.kind }).toEqual({ code, kind: "internal" });
      }
    }
  });
});
