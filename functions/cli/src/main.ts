import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { describeIssues, isSemlaError } from "@semla/core";
// The stack's cost model is infra's (pure modules beside its settings): the CLI only prints it.
import { formatStageCosts } from "../../../infra/costs.js";
import { deployOptions, type StageSettings, StageSettingsError, stageSettings } from "../../../infra/settings.js";
import { runCreateKey, runListKeys, runRevokeKey, runSweep } from "./admin.js";
import { runCentroid } from "./centroid.js";
import { runDemo } from "./demo.js";
import { EVAL_OPTIONS, EvalArgsSchema, runEval } from "./eval.js";
import { runModelsCheck, runModelsInspect, runModelsPrepare } from "./models.js";
import { listAdapters, pushAdapters, removeAdapters } from "./remote/adapters.js";
import { DEFAULT_WAIT_SECONDS, WAIT_ENV } from "./remote/capacity-wait.js";
import { connect } from "./remote/connection.js";
import { parseAdapterWeights, runFuse } from "./remote/fuse.js";
import { type Combination, fusionOptions, runRoute, runSegment } from "./remote/inference.js";
import { JOBS_USAGE, runJobsCommand } from "./remote/jobs.js";
import { createLibrary, listLibraries } from "./remote/libraries.js";
import { pullAdapter } from "./remote/pull.js";
import { runServe } from "./serve.js";

const USAGE = `usage: semla <command> [options]

commands:
  serve [--port N] [--host H] [--data-dir DIR] [--models DIR]
                                the API on this machine: the embedded default (PGlite, filesystem store, local
                                inference, demo library) unless a database (SEMLA_DATABASE_URL or SEMLA_DATA_API_*) or SEMLA_BUCKET is set;
                                --models (or SEMLA_MODELS_DIR) serves a model pack instead of the demo models
  models inspect DIR [--json]   a model pack's models: inputs, outputs, dimensions, LoRA modules, sizes
  models check DIR [--json]     runs each model of a pack once on a probe input and checks the shapes its
                                manifest promises (exit status 1 when a check fails)
  models prepare --segmenter EXPORT.onnx --targets (ADAPTER_DIR | adapter_config.json | q_proj,v_proj | REGEX)
          [--map MAPPING.json] --from PACK --out DIR [--id ID] [--size S] [--json]
                                a plain segmentation export made LoRA-ready (LoRA inputs on the targeted
                                nn.Linear layers), written as a pack with PACK's image and text encoders
  libraries ls [--json] | libraries create NAME [--dimension D --base-model ID --embedding-model ID] [--metric euclidean|cosine]
                                what is left out is the server's model pack's (GET /v1/models)
  adapters push PATH --library ID [--name N] [--centroid FILE] [--images DIR]
                                an adapter folder (or its .safetensors), or a folder of adapter folders
  adapters import LORADB --library ID
                                a SemLA loradb folder: <domain>/{adapter files, <domain>_statistics.npz}
  adapters ls [--library ID] [--name N] [--json] | adapters rm ID...
  adapters pull ID --out DIR    a registered adapter's files: adapter_config.json, adapter_model.safetensors (checked
                                against its sha256) and centroid.npy, so a registry is never a one-way door
  route IMAGE --library ID [--k N] [--temperature T] [--metric M] [--exclude a,b] [--json]
  segment IMAGE --library ID --classes a,b,c [--mode semla|uniform|zeroshot|adapter] [--adapter ID|NAME]
          [--combination cat|linear|ties|dare_linear|dare_ties|svd] [--density D] [--k N] [--out mask.png] [--overlay overlay.png] [--json]
          [--wait SECONDS]      while the GPU scales from zero (503 backend.scaling-from-zero), retry with a progress
                                line for up to SECONDS (default 600, or SEMLA_WAIT_SECONDS; 0: don't wait)
  fuse --library ID (--image IMG | --embedding E.npy | --adapters a:0.7,b:0.3) --out DIR
          [--combination cat|linear|ties|dare_linear|dare_ties|svd] [--density D] [--rank R] [--k N] [--temperature T]
                                the fused adapter as a PEFT folder (adapter_config.json, adapter_model.safetensors,
                                the plan in its metadata): routed from an image or embedding, or the adapters given
  ${JOBS_USAGE}
                                asynchronous segmentation (POST /v1/jobs): waits for the GPU instead of the caller
  keys create TENANT [--name N] an API key for a tenant (shown once)
  keys ls [--tenant T] [--json] API keys: id, tenant, name, created, last used, revoked (never the key)
  keys revoke ID                the key stops working (on this server at once; other API instances within 10 s)
  cost --stage dev|production [--requests-per-month N]
                                what the deployed stack costs (list prices, infra/prices.ts): at rest per month,
                                per 1,000 segment requests, the cold start; for the settings a deploy from this
                                shell would use (SEMLA_DATABASE, SEMLA_NETWORK, SEMLA_ENDPOINT_MIN_COPIES, _MAX_COPIES, _IDLE_MINUTES)
  sweep [--older-than MINUTES]  remove pending adapter rows and orphan objects an interrupted upload left (default 15)
                                keys and sweep act on the configured database (SEMLA_DATABASE_URL or SEMLA_DATA_API_*), else on the embedded folder
                                (through its running server, or directly under the folder's lock)
  demo [--dir DIR] [--seed N]   generate a small adapter library, route a test embedding, fuse the plan
  centroid FOLDER [--models DIR | --preset tiny|b16|l14] [--out FILE.npy|FILE.json] [--batch N]
                                CLIP-embedding centroid of a folder of images (JPEG, PNG, WebP), with a model
                                pack's image encoder (or a generated preset's)
  eval [--world demo|tiny] [--seed N] [--dataset FOLDER]... [--library ID] [--exclude A,B] [--oracle NAME]
       [--methods zeroshot,uniform,semla,oracle] [--k N] [--temperature T] [--metric euclidean|cosine]
       [--combination cat|linear|ties|...] [--backend local|sagemaker] [--models DIR] [--out DIR]
                                zero-shot / uniform / SemLA / oracle mIoU per target (leave-one-out) on the
                                synthetic world, or on dataset folders (images/, labels/, classes.txt)
`;

const PRESETS = ["tiny", "b16", "l14"] as const;
const MODELS_USAGE = "models inspect DIR [--json] | models check DIR [--json] | models prepare --segmenter EXPORT.onnx --targets T --from PACK --out DIR";

/** Where the remote commands connect: --url/--api-key, SEMLA_URL/SEMLA_API_KEY, else the running embedded default. */
const CONNECTION = { url: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean", default: false } } as const;
const ROUTING = { k: { type: "string" }, temperature: { type: "string" }, metric: { type: "string" }, exclude: { type: "string" } } as const;

function numberFlag(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}, got ${value}`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (!found) throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got ${value}`);
  return found;
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

function routingFlags(values: { k?: string | undefined; temperature?: string | undefined; metric?: string | undefined; exclude?: string | undefined }) {
  return {
    k: numberFlag("k", values.k, true),
    temperature: numberFlag("temperature", values.temperature, false),
    metric: oneOf("metric", values.metric, ["euclidean", "cosine"] as const),
    exclude: values.exclude ? values.exclude.split(",").filter(Boolean) : undefined,
  };
}

async function remote(rest: string[], command: string): Promise<number> {
  switch (command) {
    case "libraries": {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...CONNECTION, dimension: { type: "string" }, "base-model": { type: "string" }, "embedding-model": { type: "string" }, metric: { type: "string", default: "euclidean" } },
      });
      const connection = await connect({ url: values.url, apiKey: values["api-key"] });
      if (sub === "ls") return listLibraries(connection, { json: values.json }).then(() => 0);
      if (sub !== "create" || positionals.length !== 1) throw new UsageError("libraries ls | libraries create NAME [--dimension D --base-model ID --embedding-model ID]");
      await createLibrary(connection, {
        name: positionals[0]!,
        dimension: numberFlag("dimension", values.dimension, true),
        baseModelId: values["base-model"],
        embeddingModelId: values["embedding-model"],
        metric: oneOf("metric", values.metric, ["euclidean", "cosine"] as const) ?? "euclidean",
      });
      return 0;
    }
    case "adapters": {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...CONNECTION, library: { type: "string" }, name: { type: "string" }, centroid: { type: "string" }, images: { type: "string" }, out: { type: "string" } },
      });
      const connection = await connect({ url: values.url, apiKey: values["api-key"] });
      switch (sub) {
        case "push":
        case "import": {
          if (positionals.length !== 1) throw new UsageError(`adapters ${sub} takes one path`);
          return pushAdapters(connection, {
            target: resolve(positionals[0]!),
            libraryId: required("library", values.library),
            name: values.name,
            centroid: values.centroid,
            images: values.images,
            loraDb: sub === "import",
          });
        }
        case "ls":
          await listAdapters(connection, { libraryId: values.library, name: values.name, json: values.json });
          return 0;
        case "rm":
          if (positionals.length === 0) throw new UsageError("adapters rm takes adapter ids");
          await removeAdapters(connection, positionals);
          return 0;
        case "pull":
          if (positionals.length !== 1) throw new UsageError("adapters pull takes one adapter id: adapters pull ID --out DIR");
          await pullAdapter(connection, positionals[0]!, resolve(required("out", values.out)));
          return 0;
        default:
          throw new UsageError("adapters push | import | ls | rm | pull");
      }
    }
    case "route": {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { ...CONNECTION, ...ROUTING, library: { type: "string" } } });
      if (positionals.length !== 1) throw new UsageError("route takes one image");
      const connection = await connect({ url: values.url, apiKey: values["api-key"] });
      await runRoute(connection, { imagePath: resolve(positionals[0]!), libraryId: required("library", values.library), json: values.json, ...routingFlags(values) });
      return 0;
    }
    case "segment": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          ...CONNECTION,
          ...ROUTING,
          library: { type: "string" },
          classes: { type: "string" },
          mode: { type: "string" },
          adapter: { type: "string" },
          combination: { type: "string" },
          density: { type: "string" },
          out: { type: "string", default: "mask.png" },
          overlay: { type: "string" },
          wait: { type: "string" },
        },
      });
      if (positionals.length !== 1) throw new UsageError("segment takes one image");
      const wait = values.wait ?? (process.env[WAIT_ENV]?.trim() || undefined);
      const waitSeconds = numberFlag("wait", wait, false) ?? DEFAULT_WAIT_SECONDS;
      if (waitSeconds < 0) throw new UsageError(`--wait (or ${WAIT_ENV}) must be a non-negative number of seconds, got ${wait}`);
      const connection = await connect({ url: values.url, apiKey: values["api-key"] });
      await runSegment(connection, {
        json: values.json,
        imagePath: resolve(positionals[0]!),
        libraryId: required("library", values.library),
        classNames: required("classes", values.classes)
          .split(",")
          .map((c) => c.trim())
          .filter(Boolean),
        mode: oneOf("mode", values.mode, ["semla", "uniform", "zeroshot", "adapter"] as const),
        adapter: values.adapter,
        combination: oneOf<Combination>("combination", values.combination, ["cat", "linear", "ties", "dare_linear", "dare_ties", "svd"]),
        density: numberFlag("density", values.density, false),
        out: resolve(values.out),
        overlay: values.overlay === undefined ? undefined : resolve(values.overlay),
        waitSeconds,
        ...routingFlags(values),
      });
      return 0;
    }
    case "fuse": {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          ...CONNECTION,
          ...ROUTING,
          library: { type: "string" },
          image: { type: "string" },
          embedding: { type: "string" },
          adapters: { type: "string" },
          combination: { type: "string" },
          density: { type: "string" },
          rank: { type: "string" },
          out: { type: "string" },
        },
      });
      if (positionals.length > 0) throw new UsageError("fuse takes options only");
      const given = [values.image, values.embedding, values.adapters].filter((v) => v !== undefined).length;
      if (given !== 1) throw new UsageError("fuse takes exactly one of --image IMG, --embedding E.npy or --adapters a:0.7,b:0.3");
      if (values.adapters !== undefined && (values.k ?? values.temperature ?? values.metric ?? values.exclude) !== undefined) {
        throw new UsageError("--k, --temperature, --metric and --exclude route an --image or --embedding; --adapters gives the weights itself");
      }
      const combination = oneOf<Combination>("combination", values.combination, ["cat", "linear", "ties", "dare_linear", "dare_ties", "svd"]);
      const rank = numberFlag("rank", values.rank, true);
      if (rank !== undefined && combination !== "svd") throw new UsageError("--rank is for --combination svd");
      const out = resolve(required("out", values.out));
      const library = required("library", values.library);
      const target =
        values.adapters !== undefined
          ? { adapters: parseAdapterWeights(values.adapters) }
          : values.embedding !== undefined
            ? { embeddingPath: resolve(values.embedding) }
            : { imagePath: resolve(values.image as string) };
      const base = combination ? fusionOptions(combination, numberFlag("density", values.density, false)) : undefined;
      const fusion = base && rank !== undefined ? { ...base, rank } : base;
      const connection = await connect({ url: values.url, apiKey: values["api-key"] });
      await runFuse(connection, { libraryId: library, target, fusion, out, ...routingFlags(values) });
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "demo": {
      const { values } = parseArgs({ args: rest, options: { dir: { type: "string", default: ".semla/demo" }, seed: { type: "string", default: "7" } } });
      const seed = Number(values.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${values.seed}`);
      await runDemo({ root: resolve(values.dir), seed });
      return 0;
    }
    case "centroid": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { preset: { type: "string" }, models: { type: "string" }, out: { type: "string" }, batch: { type: "string", default: "16" } },
      });
      const [folder] = positionals;
      if (folder === undefined || positionals.length > 1) throw new UsageError("centroid takes one image folder");
      if (values.models !== undefined && values.preset !== undefined) throw new UsageError("give --models or --preset, not both");
      const preset = oneOf("preset", values.preset ?? "b16", PRESETS) as (typeof PRESETS)[number];
      const batchSize = Number(values.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch must be a positive integer, got ${values.batch}`);
      await runCentroid({
        folder: resolve(folder),
        models: values.models === undefined ? { preset } : { dir: resolve(values.models) },
        batchSize,
        ...(values.out === undefined ? {} : { out: resolve(values.out) }),
      });
      return 0;
    }
    case "serve": {
      const { values } = parseArgs({ args: rest, options: { port: { type: "string" }, host: { type: "string" }, "data-dir": { type: "string" }, models: { type: "string" } } });
      await runServe({ SEMLA_PORT: values.port, SEMLA_HOST: values.host, SEMLA_DATA_DIR: values["data-dir"], SEMLA_MODELS_DIR: values.models === undefined ? undefined : resolve(values.models) });
      return 0;
    }
    case "models": {
      const [sub, ...args] = rest;
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          json: { type: "boolean", default: false },
          segmenter: { type: "string" },
          targets: { type: "string" },
          map: { type: "string" },
          from: { type: "string" },
          out: { type: "string" },
          id: { type: "string" },
          size: { type: "string" },
        },
      });
      if (sub === "prepare") {
        if (positionals.length > 0) throw new UsageError("models prepare takes options only");
        const size = numberFlag("size", values.size, true);
        if (size !== undefined && (size < 1 || size > 8192)) throw new UsageError(`--size must be from 1 to 8192, got ${values.size}`);
        return runModelsPrepare({
          segmenter: resolve(required("segmenter", values.segmenter)),
          targets: required("targets", values.targets),
          ...(values.map !== undefined && { map: resolve(values.map) }),
          from: resolve(required("from", values.from)),
          out: resolve(required("out", values.out)),
          ...(values.id !== undefined && { id: values.id }),
          ...(size !== undefined && { size }),
          json: values.json,
        });
      }
      if ((sub !== "inspect" && sub !== "check") || positionals.length !== 1) throw new UsageError(MODELS_USAGE);
      const dir = resolve(positionals[0]!);
      return sub === "inspect" ? runModelsInspect(dir, { json: values.json }) : runModelsCheck(dir, { json: values.json });
    }
    case "keys": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { name: { type: "string", default: "cli" }, tenant: { type: "string" }, json: { type: "boolean", default: false } },
      });
      const [sub, ...args] = positionals;
      if (sub === "create" && args.length === 1) await runCreateKey(args[0]!, values.name);
      else if (sub === "ls" && args.length === 0) await runListKeys(values.tenant, process.env, { json: values.json });
      else if (sub === "revoke" && args.length === 1) await runRevokeKey(args[0]!);
      else throw new UsageError("keys create TENANT [--name N] | keys ls [--tenant T] | keys revoke ID");
      return 0;
    }
    case "cost": {
      const { values } = parseArgs({ args: rest, options: { stage: { type: "string" }, "requests-per-month": { type: "string" } } });
      const stage = required("stage", values.stage);
      const requests = numberFlag("requests-per-month", values["requests-per-month"], true);
      if (requests !== undefined && requests < 0) throw new UsageError(`--requests-per-month must be ≥ 0, got ${requests}`);
      let settings: StageSettings;
      try {
        settings = stageSettings(stage, deployOptions(process.env));
      } catch (error) {
        if (!(error instanceof StageSettingsError)) throw error;
        process.stderr.write(`semla: ${error.message}\n`);
        return 1;
      }
      process.stdout.write(formatStageCosts(stage, settings, requests));
      return 0;
    }
    case "sweep": {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { "older-than": { type: "string", default: "15" } } });
      if (positionals.length > 0) throw new UsageError("sweep takes no arguments");
      const minutes = numberFlag("older-than", values["older-than"], false) as number;
      if (minutes < 0) throw new UsageError(`--older-than must be a non-negative number of minutes, got ${values["older-than"]}`);
      await runSweep(minutes);
      return 0;
    }
    case "libraries":
    case "adapters":
    case "route":
    case "segment":
    case "fuse":
      return remote(rest, command);
    case "jobs":
      return runJobsCommand(rest);
    case "eval": {
      const { values } = parseArgs({ args: rest, options: EVAL_OPTIONS });
      const parsed = EvalArgsSchema.safeParse(values);
      if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues, { prefix: "--" }));
      const { out } = await runEval(parsed.data);
      process.stdout.write(`${await readFile(resolve(out, "results.md"), "utf8")}
written to ${out}
`);
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`semla: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    // Errors about the input (SemlaError: a code and a message) are the user's to fix: no stack.
    if (isSemlaError(error)) process.stderr.write(`semla: ${error.message} (${error.code})\n`);
    else process.stderr.write(`semla: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
