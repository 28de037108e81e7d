import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPgliteAdapterIndex } from "@semla/registry";
import { createFsBlobStore } from "@semla/storage";
import { ensureWorldLibrary, WORLD_TINY } from "@semla/world";
import { describe, expect, it } from "vitest";
import { EvalArgsSchema, runEval } from "./eval.js";

const issues = (input: Record<string, unknown>) => {
  const parsed = EvalArgsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("semla eval arguments", () => {
  it("default to the demo world, every method, cat fusion and the pipeline's routing defaults", () => {
    const args = EvalArgsSchema.parse({});
    expect(args).toMatchObject({ world: "demo", seed: 7, methods: ["zeroshot", "uniform", "semla", "oracle"], combination: "cat", dataset: [] });
    expect(args.k).toBeUndefined();
    expect(EvalArgsSchema.parse({ methods: "oracle,semla", k: "3", temperature: "0.1", metric: "cosine" })).toMatchObject({ methods: ["semla", "oracle"], k: 3, temperature: 0.1, metric: "cosine" });
  });

  it("refuse what cannot run, saying which option is wrong", () => {
    expect(issues({ methods: "semla,best" })).toEqual(["methods: unknown best (known: zeroshot, uniform, semla, oracle)"]);
    expect(issues({ dataset: ["d"] })).toEqual(["library: --library ID is needed with --dataset"]);
    expect(issues({ combination: "ties" })[0]).toMatch(/^combination: /);
    expect(EvalArgsSchema.safeParse({ combination: "ties", density: "0.5" }).success).toBe(true);
    expect(issues({ k: "0" })[0]).toMatch(/^k: /);
    expect(issues({ world: "huge" })[0]).toMatch(/^world: /);
    expect(issues({ backend: "sagemaker", "sagemaker-endpoint": undefined }).some((m) => m.startsWith("sagemaker-endpoint"))).toBe(!process.env.SEMLA_SAGEMAKER_ENDPOINT);
  });
});

describe("semla eval on the tiny world", () => {
  it("fits (or finds) the world, evaluates through the pipeline and writes the reports with the world's seed and sizes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "semla-cli-eval-"));
    try {
      const out = path.join(dir, "out");
      const { result } = await runEval(EvalArgsSchema.parse({ world: "tiny", seed: "5", methods: "zeroshot", out, "data-dir": dir }), () => undefined);
      expect(result.methods).toEqual(["zeroshot"]);
      expect(result.domains).toHaveLength(16);
      const json = JSON.parse(await readFile(path.join(out, "results.json"), "utf8"));
      expect(json).toMatchObject({ world: "world-tiny", seed: 5 });
      expect(await readFile(path.join(out, "results.md"), "utf8")).toMatch(/^\| target \| zero-shot \|\n/);
      expect(JSON.parse(await readFile(path.join(out, "weights.json"), "utf8"))).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("semla eval on dataset folders", () => {
  it("reads the registry where the embedded default keeps it, scores a folder exactly as the world run scores that domain, and says where it looked when there is none", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "semla-cli-eval-dataset-"));
    try {
      // The embedded default's registry under the data dir, holding the tiny world's library.
      const index = await createPgliteAdapterIndex({ dataDir: path.join(dir, "db") });
      const world = await ensureWorldLibrary({ dataDir: dir, index, store: createFsBlobStore({ root: path.join(dir, "blobs") }), tenant: "local", seed: 5, spec: WORLD_TINY });
      await index.close();

      const args = { "data-dir": dir, models: world.models.dir, methods: "semla,oracle" };
      const fog = path.join(world.root, "test", "fog");
      const { result } = await runEval(EvalArgsSchema.parse({ ...args, dataset: [fog], library: world.library.id, exclude: "fog", oracle: "fog", out: path.join(dir, "dataset") }), () => undefined);
      const { result: whole } = await runEval(EvalArgsSchema.parse({ ...args, world: "tiny", seed: "5", out: path.join(dir, "world") }), () => undefined);

      expect(result.domains).toHaveLength(1);
      const [scored] = result.domains;
      expect(scored).toMatchObject({ domain: "fog", images: WORLD_TINY.testImages, excluded: ["fog"], oracle: "fog" });
      expect(scored!.miou).toEqual(whole.domains.find((d) => d.domain === "fog")!.miou);
      expect(result.weights).toHaveLength(WORLD_TINY.testImages);
      expect(result.weights.every((w) => !("fog" in w.weights))).toBe(true);

      // A data dir without a registry: the error says where it looked (PGlite would make an empty one).
      const empty = path.join(dir, "empty");
      await expect(runEval(EvalArgsSchema.parse({ ...args, "data-dir": empty, dataset: [fog], library: world.library.id, out: path.join(dir, "none") }), () => undefined)).rejects.toMatchObject({
        code: "eval.registry-missing",
        message: expect.stringContaining(`no embedded registry under ${empty}`),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
