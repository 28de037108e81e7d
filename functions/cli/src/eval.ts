import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAdapters } from "@semla/adapters";
import { describeIssues, fusion, LIMITS, routing } from "@semla/core";
import { datasetTarget, EVAL_METHODS, type EvalResult, type EvalTarget, EvaluationError, openDataset, openEvalPipeline, runEvaluation, worldTargets, writeReports } from "@semla/eval";
import type { InferenceBackend } from "@semla/inference";
import { type ModelPack, openModelPack } from "@semla/models";
import { type AdapterIndex, createPgliteAdapterIndex } from "@semla/registry";
import { ConfigSchema, configuredDatabase, openRegistry, openSageMakerBackend, type ServiceConfig } from "@semla/service";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { DEFAULT_WORLD_SEED, ensureWorldLibrary, WORLD_SPECS, type WorldSpecName } from "@semla/world";
import { z } from "zod";

/**
 * `semla eval`: the SemLA protocol (zero-shot, uniform, SemLA, oracle; leave-one-out) through the
 * request pipeline, on the synthetic world (default) or on dataset folders against a registry and
 * a backend (local | SageMaker). Writes results.md/json, weights.json and contributions.png.
 */
const list = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
const number = z.coerce.number().refine(Number.isFinite, "must be a number");

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The command's arguments over the service configuration: the environment is parsed by the one
 * schema (@semla/service's ConfigSchema), with --data-dir, --backend and --sagemaker-endpoint over it.
 */
export const evalArgsSchema = (env: Env) =>
  z
    .object({
      out: z.string().default("eval-results"),
      world: z.enum(Object.keys(WORLD_SPECS) as [WorldSpecName, ...WorldSpecName[]]).default("demo"),
      seed: z.coerce.number().int().min(0).default(DEFAULT_WORLD_SEED),
      "data-dir": z.string().optional(),
      dataset: z.array(z.string()).default([]),
      library: z.string().optional(),
      tenant: z.string().default("local"),
      exclude: z.string().optional(),
      oracle: z.string().optional(),
      models: z.string().optional(),
      backend: z.enum(["local", "sagemaker"]).optional(),
      "sagemaker-endpoint": z.string().optional(),
      methods: z
        .string()
        .optional()
        .transform((s, ctx) => {
          const names = list(s) ?? [...EVAL_METHODS];
          const unknown = names.filter((n) => !(EVAL_METHODS as readonly string[]).includes(n));
          if (unknown.length > 0) ctx.addIssue({ code: "custom", message: `unknown ${unknown.join(", ")} (known: ${EVAL_METHODS.join(", ")})` });
          return EVAL_METHODS.filter((m) => names.includes(m));
        }),
      k: z.coerce.number().int().min(1).max(LIMITS.k).optional(),
      temperature: number.pipe(z.number().min(LIMITS.temperature.min).max(LIMITS.temperature.max)).optional(),
      metric: routing.MetricSchema.optional(),
      combination: z.string().default("cat"),
      density: number.optional(),
    })
    .transform((v, ctx) => {
      const fused = fusion.FusionOptionsSchema.safeParse({ combination: v.combination, ...(v.density !== undefined && { density: v.density }) });
      if (!fused.success) ctx.addIssue({ code: "custom", path: ["combination"], message: describeIssues(fused.error.issues) });
      if (v.dataset.length > 0 && v.library === undefined) ctx.addIssue({ code: "custom", path: ["library"], message: "--library ID is needed with --dataset" });
      const config = ConfigSchema.safeParse({
        ...env,
        ...(v["data-dir"] !== undefined && { SEMLA_DATA_DIR: v["data-dir"] }),
        ...(v.backend !== undefined && { SEMLA_BACKEND: v.backend }),
        ...(v["sagemaker-endpoint"] !== undefined && { SEMLA_SAGEMAKER_ENDPOINT: v["sagemaker-endpoint"] }),
      });
      for (const issue of config.error?.issues ?? []) {
        if (issue.path[0] === "SEMLA_SAGEMAKER_ENDPOINT") {
          ctx.addIssue({ code: "custom", path: ["sagemaker-endpoint"], message: "--sagemaker-endpoint NAME (or SEMLA_SAGEMAKER_ENDPOINT) is needed with --backend sagemaker" });
        } else {
          ctx.addIssue({ code: "custom", path: ["env", ...issue.path.map(String)], message: issue.message });
        }
      }
      // The fusion options and the configuration, parsed here once: the evaluation takes them as they are.
      if (!fused.success || !config.success) return z.NEVER;
      return { ...v, "data-dir": config.data.SEMLA_DATA_DIR, backend: config.data.SEMLA_BACKEND, fusion: fused.data, config: config.data };
    });
/** The arguments over the process's environment. */
export const EvalArgsSchema = evalArgsSchema(process.env);
export type EvalArgs = z.output<typeof EvalArgsSchema>;

export const EVAL_OPTIONS = {
  out: { type: "string" },
  world: { type: "string" },
  seed: { type: "string" },
  "data-dir": { type: "string" },
  dataset: { type: "string", multiple: true },
  library: { type: "string" },
  tenant: { type: "string" },
  exclude: { type: "string" },
  oracle: { type: "string" },
  models: { type: "string" },
  backend: { type: "string" },
  "sagemaker-endpoint": { type: "string" },
  methods: { type: "string" },
  k: { type: "string" },
  temperature: { type: "string" },
  metric: { type: "string" },
  combination: { type: "string" },
  density: { type: "string" },
} as const;

/**
 * The registry of a dataset run, opened as the API opens it: PostgreSQL when SEMLA_DATABASE_URL is set
 * and S3 when SEMLA_BUCKET is, else the embedded default's PGlite and store under --data-dir.
 */
async function openConfiguredRegistry(config: ServiceConfig, dataDir: string): Promise<{ index: AdapterIndex; store: BlobStore }> {
  // PGlite would create an empty database where none is: say where the registry was looked for instead.
  if (!configuredDatabase(config) && !(await stat(path.join(dataDir, "db")).catch(() => null))) {
    throw new EvaluationError(
      "eval.registry-missing",
      `no embedded registry under ${dataDir} (start \`semla serve\` there first, or set SEMLA_DATABASE_URL (or the SEMLA_DATA_API_* settings), or --data-dir)`,
    );
  }
  return openRegistry(config);
}

/** The backend the command names; undefined: the local one over the run's models (openEvalPipeline's default). */
function openBackend(config: ServiceConfig, store: BlobStore): InferenceBackend | undefined {
  return config.SEMLA_BACKEND === "sagemaker" ? openSageMakerBackend(config, { adapters: createAdapters({ store }), store }) : undefined;
}

async function evaluate(
  args: EvalArgs,
  log: (line: string) => void,
  setup: { models: ModelPack; index: AdapterIndex; store: BlobStore; libraryId: string; classNames: readonly string[]; targets: EvalTarget[] },
): Promise<EvalResult> {
  const backend = openBackend(args.config, setup.store);
  const handle = await openEvalPipeline({ models: setup.models, index: setup.index, store: setup.store, ...(backend && { backend }) });
  try {
    return await runEvaluation(handle.pipeline, setup.targets, {
      tenant: args.tenant,
      libraryId: setup.libraryId,
      classNames: setup.classNames,
      methods: args.methods,
      fusion: args.fusion,
      ...(args.k !== undefined && { k: args.k }),
      ...(args.temperature !== undefined && { temperature: args.temperature }),
      ...(args.metric !== undefined && { metric: args.metric }),
      onProgress: (m) => log(`  ${m}`),
    });
  } finally {
    await handle.close();
    await backend?.close();
  }
}

/** Runs the evaluation and writes its reports to --out; progress lines go to `log` (default stderr). */
export async function runEval(args: EvalArgs, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<{ result: EvalResult; out: string }> {
  const out = path.resolve(args.out);
  const dataDir = path.resolve(args["data-dir"]);
  if (args.dataset.length > 0) {
    const datasets = await Promise.all(args.dataset.map((d) => openDataset(d)));
    const classNames = datasets[0]!.classNames;
    const other = datasets.find((d) => d.classNames.join("\n") !== classNames.join("\n"));
    if (other) throw new TypeError(`dataset ${other.folder} names other classes than ${datasets[0]!.folder}: one evaluation uses one class list`);
    const modelsDir = args.models ?? path.join(dataDir, "world", `${WORLD_SPECS.demo.name}-seed${DEFAULT_WORLD_SEED}`, "models");
    const models = await openModelPack(modelsDir);
    const registry = await openConfiguredRegistry({ ...args.config, SEMLA_DATA_DIR: dataDir }, dataDir);
    try {
      const targets = datasets.map((d) => datasetTarget(d, { exclude: list(args.exclude) ?? [], oracle: args.oracle ?? null }));
      const result = await evaluate(args, log, { ...registry, models, libraryId: args.library as string, classNames, targets });
      await writeReports(out, result, { datasets: datasets.map((d) => d.folder), library: args.library, models: models.dir });
      return { result, out };
    } finally {
      await registry.index.close();
    }
  }

  // The world: fitted (or found) under --data-dir, its library in a scratch registry of this run.
  const spec = WORLD_SPECS[args.world];
  const scratch = await mkdtemp(path.join(tmpdir(), "semla-eval-"));
  const index = await createPgliteAdapterIndex();
  try {
    const store = createFsBlobStore({ root: path.join(scratch, "blobs") });
    const started = performance.now();
    const world = await ensureWorldLibrary({ dataDir, index, store, tenant: args.tenant, seed: args.seed, spec, onProgress: (m) => log(`  ${m}`) });
    log(`world ${spec.name} seed ${args.seed} ready in ${((performance.now() - started) / 1000).toFixed(1)} s; evaluating ${spec.domains.length} targets × ${spec.testImages} images`);
    const result = await evaluate(args, log, { models: world.models, index, store, libraryId: world.library.id, classNames: world.classNames, targets: worldTargets(spec, args.seed) });
    const { segmentation, clipVision } = spec.models;
    await writeReports(
      out,
      result,
      {
        world: spec.name,
        seed: args.seed,
        sizes: `${spec.domains.length} target domains, ${spec.trainImages} training / ${spec.testImages} test images of ${spec.imageSize}×${spec.imageSize} per domain; segmentation ViT ${segmentation.imageSize}px/${segmentation.patchSize} width ${segmentation.width}×${segmentation.layers} layers, head rank ${spec.rank}; CLIP ${clipVision.imageSize}px/${clipVision.patchSize} width ${clipVision.width}, ${clipVision.projectionDim}-d`,
      },
      spec.domains,
    );
    return { result, out };
  } finally {
    await index.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
