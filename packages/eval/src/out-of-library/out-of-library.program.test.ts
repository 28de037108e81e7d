import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { coverage, routing } from "@semla/core";
import { type AdapterIndex, type AdapterRecord, createPgliteAdapterIndex } from "@semla/registry";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { DEFAULT_WORLD_SEED, ensureWorldLibrary, WORLD_TINY, type WorldLibrary } from "@semla/world";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEvalPipeline, type PipelineHandle } from "../local-pipeline.js";
import { runEvaluation } from "../runner.js";
import { type CoverageDomain, type CoverageExperimentResult, runCoverageExperiment, WORLD_HELD_OUT_GROUPS } from "./experiment.js";
import { createHeldOutLibrary } from "./held-out-library.js";
import { coverageMarkdownTable } from "./report.js";
import { worldCoverageDomains } from "./world.js";

// The out-of-library experiment on the tiny world (16 domains, 3 test images each): its structure,
// and the invariants that make its numbers mean what the README says, checked against the
// pipeline's plain SemLA and zero-shot runs and against core's coverage computed here directly.
// Detection rates are the world's, not asserted: the README reports the demo world's.
let dir: string;
let index: AdapterIndex;
let store: BlobStore;
let handle: PipelineHandle;
let world: WorldLibrary;
let domains: CoverageDomain[];
let result: CoverageExperimentResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "semla-coverage-eval-"));
  index = await createPgliteAdapterIndex();
  store = createFsBlobStore({ root: path.join(dir, "blobs") });
  world = await ensureWorldLibrary({ dataDir: dir, index, store, tenant: "eval", spec: WORLD_TINY });
  handle = await openEvalPipeline({ models: world.models, index, store });
  domains = await worldCoverageDomains(WORLD_TINY, DEFAULT_WORLD_SEED);
  result = await runCoverageExperiment({ pipeline: handle.pipeline, index, store }, domains, {
    tenant: "eval",
    source: world.library,
    loradb: path.join(world.root, "loradb"),
    classNames: world.classNames,
  });
}, 180_000);

afterAll(async () => {
  await handle?.close();
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

const activeAdapters = async (libraryId: string): Promise<readonly AdapterRecord[]> => (await index.listAdapters("eval", { libraryId, status: "active", limit: 100 })).items;

describe("the out-of-library experiment on the tiny world", () => {
  it("builds one library per held-out group without the group's adapters, calibrated from its sample spreads", async () => {
    expect(result.groups.map((g) => [g.group, g.heldOut])).toEqual(WORLD_HELD_OUT_GROUPS.map((g) => [g.name, g.domains]));
    for (const g of result.groups) {
      const held = await activeAdapters(g.library.id);
      expect(held.map((a) => a.name).sort()).toEqual(WORLD_TINY.domains.filter((d) => !g.heldOut.includes(d)).sort());
      expect(g.library.adapters).toBe(WORLD_TINY.domains.length - g.heldOut.length);
      expect(g.library.name).toBe(`${world.library.name} without ${g.group}`);
      // The calibration the pipeline stored is core's over the remaining adapters only.
      const direct = coverage.calibrate(
        held.map((a) => ({ id: a.id, centroid: a.centroid, spread: a.spread })),
        "euclidean",
      );
      expect(direct.basis).toBe("samples");
      expect(g.library.calibration).toEqual({ ...direct, generation: g.library.adapters });
    }
  });

  it("segments every test image of every domain, and splits them into held-out and in-library sides", () => {
    for (const g of result.groups) {
      expect(g.domains.map((d) => [d.domain, d.heldOut, d.images])).toEqual(WORLD_TINY.domains.map((d) => [d, g.heldOut.includes(d), WORLD_TINY.testImages]));
      expect(g.images).toHaveLength(WORLD_TINY.domains.length * WORLD_TINY.testImages);
      expect(g.heldOutSide.images).toBe(g.heldOut.length * WORLD_TINY.testImages);
      expect(g.inLibrary.images).toBe((WORLD_TINY.domains.length - g.heldOut.length) * WORLD_TINY.testImages);
      for (const [s, held] of [
        [g.heldOutSide, true],
        [g.inLibrary, false],
      ] as const) {
        const flagged = g.domains.filter((d) => d.heldOut === held).reduce((n, d) => n + d.flagged, 0);
        expect(s.flagged).toBe(flagged);
        expect(s.flaggedRate).toBe(flagged / s.images);
        expect(s.flaggedMiou === null).toBe(flagged === 0);
      }
    }
  });

  it("flags exactly the images core's assessCoverage flags, over the k nearest of the remaining adapters", async () => {
    for (const g of result.groups) {
      const held = await activeAdapters(g.library.id);
      const calibration = coverage.calibrate(
        held.map((a) => ({ id: a.id, centroid: a.centroid, spread: a.spread })),
        "euclidean",
      );
      const names = new Map(held.map((a) => [a.id, a.name]));
      let i = 0;
      for (const d of domains) {
        let flagged = 0;
        for (const s of d.samples) {
          const { embedding } = await handle.pipeline.embed(s.image);
          const nearest = held
            .map((a) => ({ adapterId: a.id, distance: routing.distance("euclidean", embedding, a.centroid), spread: a.spread }))
            .sort((a, b) => a.distance - b.distance)
            .slice(0, routing.ROUTING_DEFAULTS.k);
          const direct = coverage.assessCoverage(nearest, calibration);
          const answered = g.images[i++]!;
          expect([answered.domain, answered.image]).toEqual([d.domain, s.name]);
          expect(answered.coverage.status).toBe(direct.status);
          expect(names.get(answered.coverage.adapterId!)).toBe(names.get(direct.adapterId!));
          expect(answered.coverage.score).toBeCloseTo(direct.score!, 5);
          expect(answered.coverage.policy).toBe("fuse");
          // The zeroshot run fell back exactly where the fuse run said out-of-library.
          expect(answered.fallback).toBe(direct.status === "out-of-library");
          if (direct.status === "out-of-library") flagged++;
        }
        expect(g.domains.find((r) => r.domain === d.domain)!.flagged).toBe(flagged);
      }
    }
  });

  it("under policy fuse gives the plain SemLA run's mIoU, and the base model's on the images it flags", async () => {
    for (const g of result.groups) {
      const plain = await runEvaluation(
        handle.pipeline,
        domains.map((d) => ({ domain: d.domain, samples: d.samples, exclude: [], oracle: null })),
        { tenant: "eval", libraryId: g.library.id, classNames: world.classNames, methods: ["zeroshot", "semla"] },
      );
      for (const [i, row] of g.domains.entries()) {
        expect(row.miou.fuse).toBe(plain.domains[i]!.miou.semla);
        expect(row.miou.zeroshot).toBe(plain.domains[i]!.miou.zeroshot);
        // Nothing flagged: the fallback policy is fusion; everything flagged: it is the base model.
        if (row.flagged === 0) expect(row.miou.fallback).toBe(row.miou.fuse);
        if (row.flagged === row.images) expect(row.miou.fallback).toBe(row.miou.zeroshot);
      }
      for (const s of [g.heldOutSide, g.inLibrary]) if (s.flaggedMiou) expect(s.flaggedMiou.fallback).toBe(s.flaggedMiou.zeroshot);
    }
    // Both cases above occur in this world, and some flagged images are pooled.
    const rows = result.groups.flatMap((g) => g.domains);
    expect(rows.some((r) => r.flagged === 0)).toBe(true);
    expect(rows.some((r) => r.flagged === r.images)).toBe(true);
    expect(result.groups.some((g) => g.heldOutSide.flaggedMiou !== null)).toBe(true);
  });

  it("tabulates one row per group", () => {
    const lines = coverageMarkdownTable(result).split("\n");
    expect(lines).toHaveLength(2 + WORLD_HELD_OUT_GROUPS.length);
    expect(lines[2]).toMatch(/^\| warm-cast \(warm-cast\) \| 15 \| \d+\/3 \(\d+%\) \|/);
  });

  it("refuses to hold out a domain the loradb folder does not have", async () => {
    await expect(createHeldOutLibrary({ index, store }, { tenant: "eval", source: world.library, loradb: path.join(world.root, "loradb"), heldOut: ["clean"], name: "x" })).rejects.toThrow(
      /held-out domains not in .*: clean/,
    );
  });
});
