import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type AdapterIndex, createPgliteAdapterIndex } from "@semla/registry";
import { createFsBlobStore } from "@semla/storage";
import { DEFAULT_WORLD_SEED, ensureWorldLibrary, WORLD_TINY } from "@semla/world";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetTarget, openDataset } from "./dataset.js";
import { openEvalPipeline, type PipelineHandle } from "./local-pipeline.js";
import { type EvalResult, runEvaluation } from "./runner.js";
import { worldTargets } from "./world-targets.js";

// The paper's Table 1 ordering, on the tiny world (16 target domains, 3 test images each), every
// image through the request pipeline with leave-one-out. The world, not this test, makes it hold:
// if it stops holding, the domains need to be more distinct — never a weaker assertion here.
let dir: string;
let index: AdapterIndex;
let handle: PipelineHandle;
let result: EvalResult;
let worldRoot: string;
let libraryId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "semla-eval-"));
  index = await createPgliteAdapterIndex();
  const store = createFsBlobStore({ root: path.join(dir, "blobs") });
  const world = await ensureWorldLibrary({ dataDir: dir, index, store, tenant: "eval", spec: WORLD_TINY });
  worldRoot = world.root;
  libraryId = world.library.id;
  handle = await openEvalPipeline({ models: world.models, index, store });
  result = await runEvaluation(handle.pipeline, worldTargets(WORLD_TINY, DEFAULT_WORLD_SEED), { tenant: "eval", libraryId: world.library.id, classNames: world.classNames });
}, 120_000);

afterAll(async () => {
  await handle?.close();
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("SemLA on the synthetic world (leave-one-out)", () => {
  it("evaluates every method on every target domain", () => {
    expect(result.domains.map((d) => d.domain)).toEqual(WORLD_TINY.domains);
    for (const d of result.domains) {
      expect(d.images).toBe(WORLD_TINY.testImages);
      for (const m of ["zeroshot", "uniform", "semla", "oracle"] as const) expect(d.miou[m]).toBeGreaterThan(0);
    }
  });

  it("orders the means as the paper's Table 1: oracle ≥ SemLA > uniform, SemLA > zero-shot", () => {
    const { zeroshot, uniform, semla, oracle } = result.mean as Record<string, number>;
    expect(oracle).toBeGreaterThanOrEqual(semla!);
    expect(semla).toBeGreaterThan(uniform!);
    expect(semla).toBeGreaterThan(zeroshot!);
  });

  it("beats the uniform merge on most target domains", () => {
    const wins = result.domains.filter((d) => d.miou.semla! > d.miou.uniform!).length;
    expect(wins).toBeGreaterThan(result.domains.length / 2);
  });

  it("never routes a target to its own adapter, and its weights sum to 1 per image", () => {
    expect(result.weights).toHaveLength(WORLD_TINY.domains.length * WORLD_TINY.testImages);
    for (const w of result.weights) {
      expect(Object.keys(w.weights)).not.toContain(w.domain);
      expect(Object.keys(w.weights)).toHaveLength(5);
      expect(Object.values(w.weights).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    }
  });
});

describe("a dataset folder", () => {
  it("evaluates as the same domain generated in memory (the world's test files are a dataset folder)", async () => {
    const dataset = await openDataset(path.join(worldRoot, "test", "fog+night"));
    const fromFiles = await runEvaluation(handle.pipeline, [datasetTarget(dataset, { exclude: ["fog+night"], oracle: "fog+night" })], {
      tenant: "eval",
      libraryId,
      classNames: dataset.classNames,
    });
    const generated = result.domains.find((d) => d.domain === "fog+night")!;
    expect(fromFiles.domains[0]!.miou).toEqual(generated.miou);
  });
});
