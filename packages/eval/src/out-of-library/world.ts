import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPgliteAdapterIndex } from "@semla/registry";
import { createFsBlobStore } from "@semla/storage";
import { DEFAULT_WORLD_SEED, ensureWorldLibrary, WORLD_DEMO, type WorldSpec } from "@semla/world";
import { openEvalPipeline } from "../local-pipeline.js";
import type { EvalSample } from "../runner.js";
import { worldTargets } from "../world-targets.js";
import { type CoverageDomain, type CoverageExperimentResult, runCoverageExperiment, WORLD_HELD_OUT_GROUPS } from "./experiment.js";

/** The world's test images per domain, in memory (the experiment reads them once per group). */
export async function worldCoverageDomains(spec: WorldSpec, seed: number): Promise<CoverageDomain[]> {
  const domains: CoverageDomain[] = [];
  for (const target of worldTargets(spec, seed)) {
    const samples: EvalSample[] = [];
    for await (const s of target.samples) samples.push(s);
    domains.push({ domain: target.domain, samples });
  }
  return domains;
}

/**
 * The out-of-library experiment on the synthetic world (fitted or found under `dataDir`), in a
 * scratch registry of this run, with the world's held-out groups.
 */
export async function runWorldCoverageExperiment(options: {
  readonly dataDir: string;
  readonly spec?: WorldSpec;
  readonly seed?: number;
  readonly onProgress?: (message: string) => void;
}): Promise<CoverageExperimentResult> {
  const spec = options.spec ?? WORLD_DEMO;
  const seed = options.seed ?? DEFAULT_WORLD_SEED;
  const scratch = await mkdtemp(path.join(tmpdir(), "semla-coverage-eval-"));
  const index = await createPgliteAdapterIndex();
  try {
    const store = createFsBlobStore({ root: path.join(scratch, "blobs") });
    const tenant = "eval";
    const world = await ensureWorldLibrary({ dataDir: options.dataDir, index, store, tenant, seed, spec, ...(options.onProgress && { onProgress: options.onProgress }) });
    const handle = await openEvalPipeline({ models: world.models, index, store });
    try {
      return await runCoverageExperiment({ pipeline: handle.pipeline, index, store }, await worldCoverageDomains(spec, seed), {
        tenant,
        source: world.library,
        loradb: path.join(world.root, "loradb"),
        classNames: world.classNames,
        groups: WORLD_HELD_OUT_GROUPS,
        ...(options.onProgress && { onProgress: options.onProgress }),
      });
    } finally {
      await handle.close();
    }
  } finally {
    await index.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
