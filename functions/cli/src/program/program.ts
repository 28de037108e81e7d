/**
 * The `semla` command line, declared with commander: every command, its arguments and options (one
 * style: commander's, with the parsers of ./parsers.ts), its help (`semla CMD --help` / `-h`) and the
 * usage a mistake prints (that command's only, exit status 2). Each action hands parsed values to a
 * command module (run*, list*, push*…), whose signatures stay as they are.
 */
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describeIssues, isSemlaError, LIMITS, SemlaError } from "@semla/core";
import { Command, CommanderError, Option } from "commander";
// The stack's cost model is infra's (pure modules beside its settings): the CLI only prints it.
import { formatStageCosts } from "../../../../infra/costs.js";
import { deployOptions, type StageSettings, StageSettingsError, stageSettings } from "../../../../infra/settings.js";
import { runCreateKey, runListKeys, runRevokeKey, runSweep } from "../admin.js";
import { runCentroid } from "../centroid.js";
import { runDemo } from "../demo.js";
import { EVAL_OPTIONS, evalArgsSchema, runEval } from "../eval.js";
import { runModelsCheck, runModelsInspect, runModelsPrepare } from "../models.js";
import { listAdapters, pushAdapters, removeAdapters } from "../remote/adapters.js";
import { DEFAULT_WAIT_SECONDS, WAIT_ENV } from "../remote/capacity-wait.js";
import { connect } from "../remote/connection.js";
import { runCoverage } from "../remote/coverage.js";
import { parseAdapterWeights, runFuse } from "../remote/fuse.js";
import { COMBINATIONS, type FusionFlags, fusionFromFlags, type RoutingFlags, runRoute, runSegment } from "../remote/inference.js";
import { getJob, printJob, submitJob, waitForJob } from "../remote/jobs.js";
import { createLibrary, listLibraries, removeLibraries, updateLibrary } from "../remote/libraries.js";
import { pullAdapter } from "../remote/pull.js";
import { runServe } from "../serve.js";
import { DATA_DIR_NAME } from "./data-dir.js";
import { EXIT, UsageError } from "./failure.js";
import { collect, listArg, numberArg } from "./parsers.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** SemlaErrors that are usage mistakes (flags that do not go together): printed with the command's usage, exit 2. */
const USAGE_CODES = new Set(["cli.fusion-flag", "cli.route-query", "cli.invalid-adapters"]);

const ENVIRONMENT = `
Environment:
  SEMLA_URL, SEMLA_API_KEY   the API the remote commands talk to (else the embedded one running from the data folder)
  SEMLA_DATA_DIR             the embedded default's data folder; unset: the nearest ${DATA_DIR_NAME} folder from the
                             current directory up, else the checkout's (where \`npm start\` keeps it)
  SEMLA_DATABASE_URL, SEMLA_DATA_API_*, SEMLA_BUCKET
                             a deployment's database and bucket (serve, keys, sweep, eval act on them)

Exit status: 0 done, 1 the command failed (one line says why and what to do), 2 a usage mistake.`;

interface Outcome {
  code: number;
}

type Action = (...args: never[]) => Promise<number | undefined>;

/** Runs a command's work, turning a usage mistake found after parsing into commander's usage error (exit 2). */
function act(outcome: Outcome, work: Action) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    try {
      outcome.code = (await work(...(args as never[]))) ?? EXIT.ok;
    } catch (error) {
      if (error instanceof UsageError || (isSemlaError(error) && USAGE_CODES.has(error.code))) {
        command.error(`error: ${error.message}`, { exitCode: EXIT.usage, code: "semla.usage" });
      }
      throw error;
    }
  };
}

/** An output file's folder must exist: one line naming it and the fix, before any work is done. */
async function outputFile(flag: string, file: string): Promise<string> {
  const resolved = path.resolve(file);
  const dir = path.dirname(resolved);
  const found = await stat(dir).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new SemlaError("cli.no-output-folder", `the folder ${dir} for ${flag} does not exist: create it (mkdir -p ${dir}) or give a path in an existing folder`, { path: dir });
  }
  return resolved;
}

interface ConnectionOptions {
  readonly url?: string;
  readonly apiKey?: string;
  readonly json?: boolean;
}

function connectionOptions(command: Command, json = true): Command {
  command.option("--url <url>", "the API's URL (default: SEMLA_URL, else the embedded one running from the data folder)");
  command.option("--api-key <key>", "its API key (default: SEMLA_API_KEY, else the embedded one's local key)");
  if (json) command.option("--json", "print the API's answer as one JSON document (for scripts) instead of tables");
  return command;
}

const at = (opts: ConnectionOptions) => connect({ url: opts.url, apiKey: opts.apiKey });

interface RoutingOptions {
  readonly k?: number;
  readonly temperature?: number;
  readonly metric?: "euclidean" | "cosine";
  readonly exclude?: string[];
  readonly exact?: boolean;
  readonly efSearch?: number;
  readonly coverage?: CoveragePolicy;
}

function routingOptions(command: Command): Command {
  return command
    .option("--k <n>", "how many nearest adapters to fuse (default 5)", numberArg({ integer: true, min: 1, max: LIMITS.k }))
    .option("--temperature <t>", "softmax temperature over similarities (default 0.05)", numberArg({ min: LIMITS.temperature.min, max: LIMITS.temperature.max }))
    .addOption(new Option("--metric <metric>", "distance metric (default: the library's; the other is an exact scan)").choices(["euclidean", "cosine"]))
    .option("--exclude <names>", "adapter ids or names never chosen, comma-separated (leave-one-out)", listArg)
    .option("--exact", "an exact scan instead of the HNSW index")
    .option("--ef-search <n>", "HNSW candidate list size (recall against latency)", numberArg({ integer: true, min: 1, max: LIMITS.efSearch }))
    .addOption(
      new Option("--coverage <policy>", "an out-of-library image: fuse anyway, fall back to the base model (zeroshot), or refuse (default: the library's policy)").choices([
        "fuse",
        "zeroshot",
        "refuse",
      ]),
    );
}

const routingFlags = (o: RoutingOptions): RoutingFlags => ({ k: o.k, temperature: o.temperature, metric: o.metric, exclude: o.exclude, exact: o.exact, efSearch: o.efSearch, coverage: o.coverage });

function fusionOptions(command: Command): Command {
  return command
    .addOption(new Option("--combination <c>", "how the chosen adapters combine (PEFT add_weighted_adapter; default cat)").choices(COMBINATIONS))
    .option("--density <d>", "fraction kept by pruning: ties, dare_*, magnitude_prune (default 0.5)", numberArg({ min: 0, max: 1 }))
    .addOption(new Option("--majority-sign <how>", "how ties and dare_ties elect each entry's sign (default total)").choices(["total", "frequency"]))
    .option("--seed <n>", "seed of the DARE drop masks: dare_linear, dare_ties (default 0)", numberArg({ integer: true, min: 0, max: 0xffffffff }))
    .option("--rank <r>", "svd: rank of the fused adapter (default: the largest input rank)", numberArg({ integer: true, min: 1, max: LIMITS.svdRank }))
    .option("--clamp <q>", "svd: quantile at which to clamp the factors (PEFT svd_clamp), in (0, 1)", numberArg({ min: Number.MIN_VALUE, max: 1 - Number.EPSILON }));
}

const fusionFlags = (o: FusionFlags): FusionFlags => ({ combination: o.combination, density: o.density, majoritySign: o.majoritySign, seed: o.seed, rank: o.rank, clamp: o.clamp });

/** commander's camelCase name of a long flag: `data-dir` → `dataDir`. */
const attribute = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The `semla` program. `outcome.code` holds the exit status of the command that ran. */

type CoveragePolicy = "fuse" | "zeroshot" | "refuse";
/** What an out-of-library image gets (the library's default; a request's --coverage overrides it). */
const COVERAGE_POLICY = () =>
  new Option("--coverage-policy <policy>", "out-of-library images: fuse the nearest adapters anyway, fall back to the base model (zeroshot), or refuse (422)").choices(["fuse", "zeroshot", "refuse"]);

export function buildProgram(outcome: Outcome = { code: EXIT.ok }): Command {
  const program = new Command("semla")
    .description("SemLA Serve: test-time LoRA adapter retrieval and fusion for semantic segmentation")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "print this command's help")
    .helpCommand("help [command]", "print a command's help")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "semla: ")) })
    .addHelpText("after", ENVIRONMENT);

  program
    .command("serve")
    .summary("the API on this machine (the embedded default unless a database or bucket is configured)")
    .description(
      "The API on this machine: the embedded default (PGlite, filesystem store, local inference, demo library) unless a database\n" +
        "(SEMLA_DATABASE_URL or SEMLA_DATA_API_*) or SEMLA_BUCKET is set. --models (or SEMLA_MODELS_DIR) serves a model pack instead of the demo models.",
    )
    .option("--port <n>", "port to listen on (default: SEMLA_PORT, else 8080)", numberArg({ integer: true, min: 0, max: 65535 }))
    .option("--host <host>", "interface to listen on (default: SEMLA_HOST, else 127.0.0.1)")
    .option("--data-dir <dir>", "the embedded default's data folder (default: SEMLA_DATA_DIR, see below)")
    .option("--models <dir>", "a model pack to serve instead of the demo models")
    .action(
      act(outcome, async (o: { port?: number; host?: string; dataDir?: string; models?: string }) => {
        await runServe({
          SEMLA_PORT: o.port === undefined ? undefined : String(o.port),
          SEMLA_HOST: o.host,
          SEMLA_DATA_DIR: o.dataDir === undefined ? undefined : path.resolve(o.dataDir),
          SEMLA_MODELS_DIR: o.models === undefined ? undefined : path.resolve(o.models),
        });
        return EXIT.ok;
      }),
    );

  const models = program.command("models").summary("model packs: inspect, check, prepare").description("Model packs: inspect, check, prepare.");
  models
    .command("inspect")
    .description("A model pack's models: inputs, outputs, dimensions, LoRA modules, sizes.")
    .argument("<dir>", "the model pack's folder")
    .option("--json", "print one JSON document")
    .action(act(outcome, async (dir: string, o: { json?: boolean }) => runModelsInspect(path.resolve(dir), { json: o.json ?? false })));
  models
    .command("check")
    .description("Runs each model of a pack once on a probe input and checks the shapes its manifest promises (exit status 1 when a check fails).")
    .argument("<dir>", "the model pack's folder")
    .option("--json", "print one JSON document")
    .action(act(outcome, async (dir: string, o: { json?: boolean }) => runModelsCheck(path.resolve(dir), { json: o.json ?? false })));
  models
    .command("prepare")
    .description("A plain segmentation export made LoRA-ready (LoRA inputs on the targeted nn.Linear layers), written as a pack with PACK's image and text encoders.")
    .requiredOption("--segmenter <export.onnx>", "the segmentation model's ONNX export")
    .requiredOption("--targets <targets>", "ADAPTER_DIR | adapter_config.json | q_proj,v_proj | REGEX: the layers to adapt")
    .option("--map <mapping.json>", "ONNX names → PEFT module names, where they differ")
    .requiredOption("--from <pack>", "the pack whose image and text encoders go with it")
    .requiredOption("--out <dir>", "the new pack's folder")
    .option("--id <id>", "the new segmenter's id")
    .option("--size <s>", "input size in pixels", numberArg({ integer: true, min: 1, max: 8192 }))
    .option("--json", "print one JSON document")
    .action(
      act(outcome, async (o: { segmenter: string; targets: string; map?: string; from: string; out: string; id?: string; size?: number; json?: boolean }) =>
        runModelsPrepare({
          segmenter: path.resolve(o.segmenter),
          targets: o.targets,
          ...(o.map !== undefined && { map: path.resolve(o.map) }),
          from: path.resolve(o.from),
          out: path.resolve(o.out),
          ...(o.id !== undefined && { id: o.id }),
          ...(o.size !== undefined && { size: o.size }),
          json: o.json ?? false,
        }),
      ),
    );

  const libraries = program.command("libraries").summary("adapter libraries: ls, create, update, rm").description("Adapter libraries: ls, create, update, rm.");
  connectionOptions(libraries.command("ls").description("The tenant's libraries: id, name, dimension, metric, base model, embedding model.")).action(
    act(outcome, async (o: ConnectionOptions) => {
      await listLibraries(await at(o), { json: o.json ?? false });
      return EXIT.ok;
    }),
  );
  connectionOptions(
    libraries
      .command("create")
      .description("A new library; what is left out is the server's model pack's (GET /v1/models), so the library matches its server. Prints its id.")
      .argument("<name>", "unique among the tenant's libraries")
      .option("--dimension <d>", "embedding (centroid) dimension", numberArg({ integer: true, min: 1, max: LIMITS.dimension }))
      .option("--base-model <id>", "the segmentation model the adapters were trained on")
      .option("--embedding-model <id>", "the CLIP image encoder of the centroids")
      .addOption(new Option("--metric <metric>", "distance metric").choices(["euclidean", "cosine"]).default("euclidean"))
      .addOption(COVERAGE_POLICY().default("fuse")),
    false,
  ).action(
    act(outcome, async (name: string, o: ConnectionOptions & { dimension?: number; baseModel?: string; embeddingModel?: string; metric: "euclidean" | "cosine"; coveragePolicy: CoveragePolicy }) => {
      await createLibrary(await at(o), { name, dimension: o.dimension, baseModelId: o.baseModel, embeddingModelId: o.embeddingModel, metric: o.metric, coveragePolicy: o.coveragePolicy });
      return EXIT.ok;
    }),
  );

  connectionOptions(
    libraries
      .command("update")
      .description(
        "Renames a library, sets its coverage policy, or corrects its model ids (a library created with the wrong base model); the model ids change only while it holds no adapter.\nDimension and metric never change: create a new library for those.",
      )
      .argument("<id>", "the library's id")
      .option("--name <name>", "its new name")
      .option("--base-model <id>", "the segmentation model the adapters are trained on")
      .option("--embedding-model <id>", "the CLIP image encoder of the centroids")
      .addOption(COVERAGE_POLICY()),
  ).action(
    act(outcome, async (id: string, o: ConnectionOptions & { name?: string; baseModel?: string; embeddingModel?: string; coveragePolicy?: CoveragePolicy }) => {
      if (o.name === undefined && o.baseModel === undefined && o.embeddingModel === undefined && o.coveragePolicy === undefined)
        throw new UsageError("libraries update takes at least one of --name, --base-model, --embedding-model, --coverage-policy");
      await updateLibrary(await at(o), id, { name: o.name, baseModelId: o.baseModel, embeddingModelId: o.embeddingModel, coveragePolicy: o.coveragePolicy }, { json: o.json ?? false });
      return EXIT.ok;
    }),
  );
  connectionOptions(
    libraries
      .command("rm")
      .description(
        "Removes libraries. One holding adapters is refused (registry.library-not-empty) unless --cascade, which removes its adapters too\n(their rows, then each object no other row references).",
      )
      .argument("<ids...>", "library ids")
      .option("--cascade", "also remove the libraries' adapters"),
    false,
  ).action(
    act(outcome, async (ids: string[], o: ConnectionOptions & { cascade?: boolean }) => {
      await removeLibraries(await at(o), ids, { cascade: o.cascade ?? false });
      return EXIT.ok;
    }),
  );

  const adapters = program.command("adapters").summary("adapters: push, import, ls, rm, pull").description("Adapters: push, import, ls, rm, pull.");
  const push = (loraDb: boolean) =>
    act(outcome, async (target: string, o: ConnectionOptions & { library: string; name?: string; centroid?: string; images?: string }) =>
      pushAdapters(await at(o), { target: path.resolve(target), libraryId: o.library, name: o.name, centroid: o.centroid, images: o.images, loraDb }),
    );
  connectionOptions(
    adapters
      .command("push")
      .description("Registers an adapter folder (or its .safetensors), or a folder of adapter folders (exit status 1 when any failed).")
      .argument("<path>", "adapter folder, .safetensors file, or folder of adapter folders")
      .requiredOption("--library <id>", "the library to add to")
      .option("--name <name>", "the adapter's name (default: its folder's)")
      .option("--centroid <file>", "its centroid (.npy, .npz, .json)")
      .option("--images <dir>", "sample images: the centroid is their mean CLIP embedding"),
    false,
  ).action(push(false));
  connectionOptions(
    adapters
      .command("import")
      .description("A SemLA loradb folder: <domain>/{adapter files, <domain>_statistics.npz}.")
      .argument("<loradb>", "the loradb folder")
      .requiredOption("--library <id>", "the library to add to"),
    false,
  ).action(push(true));
  connectionOptions(
    adapters
      .command("ls")
      .description("Registered adapters: id, name, version, status, rank, size, samples, created.")
      .option("--library <id>", "only this library's")
      .option("--name <name>", "only adapters of this name"),
  ).action(
    act(outcome, async (o: ConnectionOptions & { library?: string; name?: string }) => {
      await listAdapters(await at(o), { libraryId: o.library, name: o.name, json: o.json ?? false });
      return EXIT.ok;
    }),
  );
  connectionOptions(adapters.command("rm").description("Removes adapters (their rows and, once unreferenced, their files).").argument("<ids...>", "adapter ids"), false).action(
    act(outcome, async (ids: string[], o: ConnectionOptions) => {
      await removeAdapters(await at(o), ids);
      return EXIT.ok;
    }),
  );
  connectionOptions(
    adapters
      .command("pull")
      .description("A registered adapter's files: adapter_config.json, adapter_model.safetensors (checked against its sha256) and centroid.npy, so a registry is never a one-way door.")
      .argument("<id>", "the adapter's id")
      .requiredOption("--out <dir>", "the folder to write (made if missing)"),
    false,
  ).action(
    act(outcome, async (id: string, o: ConnectionOptions & { out: string }) => {
      await pullAdapter(await at(o), id, path.resolve(o.out));
      return EXIT.ok;
    }),
  );

  connectionOptions(
    routingOptions(
      program
        .command("route")
        .summary("the fusion plan for an image or an embedding")
        .description("The fusion plan the service would use: the nearest adapters, their distances and weights, for an image or a query embedding.")
        .argument("[image]", "the image (JPEG, PNG, WebP); or give --embedding")
        .option("--embedding <file>", "a query embedding (.npy, .npz, .json) instead of an image")
        .requiredOption("--library <id>", "the library to route in"),
    ),
  ).action(
    act(outcome, async (image: string | undefined, o: ConnectionOptions & RoutingOptions & { embedding?: string; library: string }) => {
      if ((image === undefined) === (o.embedding === undefined)) throw new UsageError("route takes an IMAGE or --embedding FILE (one of the two)");
      const connection = await at(o);
      await runRoute(connection, {
        ...(image !== undefined ? { imagePath: path.resolve(image) } : { embeddingPath: path.resolve(o.embedding as string) }),
        libraryId: o.library,
        json: o.json ?? false,
        ...routingFlags(o),
      });
      return EXIT.ok;
    }),
  );

  connectionOptions(
    program
      .command("coverage")
      .summary("where the library's out-of-library requests cluster")
      .description(
        "Coverage gaps: the library's recent out-of-library requests (embeddings only) clustered into regions it does not cover,\nlargest first, with the adapters nearest each: train an adapter for these.",
      )
      .requiredOption("--library <id>", "the library")
      .option("--since <time>", "only requests at or after this ISO 8601 time")
      .option("--radius <r>", "clustering radius (default: the library's calibrated radius)", numberArg({ min: 0, max: LIMITS.spread }))
      .option("--limit <n>", "gaps listed (default 10)", numberArg({ integer: true, min: 1, max: LIMITS.coverageGaps })),
  ).action(
    act(outcome, async (o: ConnectionOptions & { library: string; since?: string; radius?: number; limit?: number }) => {
      await runCoverage(await at(o), { libraryId: o.library, since: o.since, radius: o.radius, limit: o.limit, json: o.json ?? false });
      return EXIT.ok;
    }),
  );

  connectionOptions(
    fusionOptions(
      routingOptions(
        program
          .command("segment")
          .summary("a segmentation mask for an image, with the routed adapters fused")
          .description("Segments an image with the library's adapters (routed, fused) and writes the mask (and an overlay); prints the class scores and the plan.")
          .argument("<image>", "the image (JPEG, PNG, WebP); large ones go by presigned upload, with progress")
          .requiredOption("--library <id>", "the library to route in")
          .requiredOption("--classes <names>", "class names, comma-separated (mask pixel value = index)", listArg)
          .addOption(new Option("--mode <mode>", "semla (routed, default), uniform, zeroshot (base model alone), adapter (--adapter)").choices(["semla", "uniform", "zeroshot", "adapter"]))
          .option("--adapter <id|name>", "the adapter for --mode adapter")
          .option("--out <mask.png>", "where the mask goes", "mask.png")
          .option("--overlay <overlay.png>", "also write the mask over the image, in the console's class colours, with a legend (class, colour, pixel share)")
          .option("--mask-color <mask-color.png>", "also write the mask in the console's class colours (RGB), beside the index mask")
          .option(
            "--wait <seconds>",
            `while the GPU scales from zero (503 backend.scaling-from-zero), retry with a progress line for up to SECONDS (default ${DEFAULT_WAIT_SECONDS}, or ${WAIT_ENV}; 0: don't wait)`,
            numberArg({ min: 0 }),
          ),
      ),
    ),
  ).action(
    act(
      outcome,
      async (
        image: string,
        o: ConnectionOptions &
          RoutingOptions &
          FusionFlags & { library: string; classes: string[]; mode?: "semla" | "uniform" | "zeroshot" | "adapter"; adapter?: string; out: string; overlay?: string; maskColor?: string; wait?: number },
      ) => {
        const fusion = fusionFromFlags(fusionFlags(o));
        const fromEnv = process.env[WAIT_ENV]?.trim();
        const waitSeconds = o.wait ?? (fromEnv ? Number(fromEnv) : DEFAULT_WAIT_SECONDS);
        if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new UsageError(`${WAIT_ENV} must be a non-negative number of seconds, got ${fromEnv}`);
        if (o.classes.length === 0) throw new UsageError("--classes needs at least one class name");
        const out = await outputFile("--out", o.out);
        const overlay = o.overlay === undefined ? undefined : await outputFile("--overlay", o.overlay);
        const maskColour = o.maskColor === undefined ? undefined : await outputFile("--mask-color", o.maskColor);
        await runSegment(await at(o), {
          json: o.json ?? false,
          imagePath: path.resolve(image),
          libraryId: o.library,
          classNames: o.classes,
          mode: o.mode,
          adapter: o.adapter,
          fusion,
          out,
          overlay,
          maskColour,
          waitSeconds,
          ...routingFlags(o),
        });
        return EXIT.ok;
      },
    ),
  );

  connectionOptions(
    fusionOptions(
      routingOptions(
        program
          .command("fuse")
          .summary("the fused adapter as a PEFT folder")
          .description(
            "The fused adapter as a PEFT folder (adapter_config.json, adapter_model.safetensors, the plan in its metadata): routed from an image or an embedding, or the adapters given with their weights.",
          )
          .requiredOption("--library <id>", "the library")
          .option("--image <file>", "route this image")
          .option("--embedding <file>", "route this embedding (.npy, .npz, .json)")
          .option("--adapters <a:w,...>", "these adapters (ids or names) with these weights, e.g. fog:0.7,rain:0.3")
          .requiredOption("--out <dir>", "the folder to write (made if missing)"),
      ),
    ),
    false,
  ).action(
    act(outcome, async (o: ConnectionOptions & RoutingOptions & FusionFlags & { library: string; image?: string; embedding?: string; adapters?: string; out: string }) => {
      const given = [o.image, o.embedding, o.adapters].filter((v) => v !== undefined).length;
      if (given !== 1) throw new UsageError("fuse takes exactly one of --image IMG, --embedding E.npy or --adapters a:0.7,b:0.3");
      const routing = routingFlags(o);
      if (o.adapters !== undefined && Object.values(routing).some((v) => v !== undefined)) {
        throw new UsageError("--k, --temperature, --metric, --exclude, --exact and --ef-search route an --image or --embedding; --adapters gives the weights itself");
      }
      const target =
        o.adapters !== undefined
          ? { adapters: parseAdapterWeights(o.adapters) }
          : o.embedding !== undefined
            ? { embeddingPath: path.resolve(o.embedding) }
            : { imagePath: path.resolve(o.image as string) };
      const fusion = fusionFromFlags(fusionFlags(o));
      await runFuse(await at(o), { libraryId: o.library, target, fusion, out: path.resolve(o.out), ...routing });
      return EXIT.ok;
    }),
  );

  const jobs = program
    .command("jobs")
    .summary("asynchronous segmentation: submit, get, wait")
    .description("Asynchronous segmentation (POST /v1/jobs): the job waits for the GPU instead of the caller; its results are kept for the retention period.");
  connectionOptions(
    jobs
      .command("submit")
      .description("Submits images (or a folder of your images in the bucket) to be segmented later; prints the job (queued).")
      .argument("[images...]", `the images (JPEG, PNG, WebP), up to ${LIMITS.jobImages}`)
      .option("--prefix <folder/>", "instead of images: a folder of your images in the bucket (under tenants/<tenant>/images/)")
      .requiredOption("--library <id>", "the library to route in")
      .requiredOption("--classes <names>", "class names, comma-separated (mask pixel value = index)", listArg)
      .addOption(new Option("--mode <mode>", "semla (routed, default), uniform, zeroshot (base model alone)").choices(["semla", "uniform", "zeroshot"]))
      .option("--k <n>", "how many nearest adapters to fuse (default 5)", numberArg({ integer: true, min: 1, max: LIMITS.k }))
      .option("--webhook <url>", "POSTed the job when it ends, signed (GET /v1/jobs/webhook-secret)")
      .option("--key <idempotency-key>", "the same key and request answer the same job (a retried script submits once)"),
  ).action(
    act(outcome, async (images: string[], o: ConnectionOptions & { prefix?: string; library: string; classes: string[]; mode?: string; k?: number; webhook?: string; key?: string }) => {
      if (images.length > 0 === (o.prefix !== undefined)) throw new UsageError("jobs submit takes images or --prefix, one of the two");
      if (o.classes.length === 0) throw new UsageError("--classes needs at least one class name");
      const job = await submitJob(await at(o), {
        libraryId: o.library,
        classNames: o.classes,
        imagePaths: images.map((image) => path.resolve(image)),
        prefix: o.prefix,
        webhook: o.webhook,
        idempotencyKey: o.key,
        options: { ...(o.mode !== undefined ? { mode: o.mode } : {}), ...(o.k !== undefined ? { k: o.k } : {}) },
      });
      if (o.json) printJob(job, true);
      else console.log(`job ${job.id} ${job.status} (${job.counts.total} image${job.counts.total === 1 ? "" : "s"}): semla jobs wait ${job.id}`);
      return EXIT.ok;
    }),
  );
  connectionOptions(
    jobs.command("get").description("A job's status and each image's result or error (reading it advances it on a server without a background runner).").argument("<id>", "the job id"),
  ).action(
    act(outcome, async (id: string, o: ConnectionOptions) => {
      printJob(await getJob(await at(o), id), o.json ?? false);
      return EXIT.ok;
    }),
  );
  connectionOptions(
    jobs
      .command("wait")
      .description("Polls a job until it ends; exit status 0 when every image succeeded, 1 otherwise.")
      .argument("<id>", "the job id")
      .option("--timeout <seconds>", "give up after this long (exit 1; the job goes on)", numberArg({ min: 0 }), 3600)
      .option("--interval <seconds>", "between polls", numberArg({ min: 0 }), 5)
      .option("--out <dir>", "write each image's mask there as <index>.png (made if missing)"),
  ).action(
    act(outcome, async (id: string, o: ConnectionOptions & { timeout: number; interval: number; out?: string }) => {
      const job = await waitForJob(await at(o), id, {
        timeoutSeconds: o.timeout,
        intervalSeconds: o.interval,
        out: o.out === undefined ? undefined : path.resolve(o.out),
        onProgress: (j) => process.stderr.write(`job ${j.id}: ${j.status}, ${j.counts.succeeded + j.counts.failed} of ${j.counts.total} done\n`),
      });
      printJob(job, o.json ?? false);
      return job.status === "succeeded" ? EXIT.ok : EXIT.failed;
    }),
  );

  const keys = program
    .command("keys")
    .summary("API keys: create, ls, revoke")
    .description("API keys, on the configured database (SEMLA_DATABASE_URL or SEMLA_DATA_API_*), else on the embedded folder\n(through its running server, or directly under the folder's lock).");
  keys
    .command("create")
    .description("An API key for a tenant (shown once).")
    .argument("<tenant>", "the tenant")
    .option("--name <name>", "a name to tell keys apart", "cli")
    .action(
      act(outcome, async (tenant: string, o: { name: string }) => {
        await runCreateKey(tenant, o.name);
        return EXIT.ok;
      }),
    );
  keys
    .command("ls")
    .description("API keys: id, tenant, name, created, last used, revoked (never the key).")
    .option("--tenant <tenant>", "only this tenant's")
    .option("--json", "print one JSON document")
    .action(
      act(outcome, async (o: { tenant?: string; json?: boolean }) => {
        await runListKeys(o.tenant, process.env, { json: o.json ?? false });
        return EXIT.ok;
      }),
    );
  keys
    .command("revoke")
    .description("The key stops working (on this server at once; other API instances within 10 s).")
    .argument("<id>", "the key's id")
    .action(
      act(outcome, async (id: string) => {
        await runRevokeKey(id);
        return EXIT.ok;
      }),
    );

  program
    .command("cost")
    .summary("what the deployed stack costs")
    .description(
      "What the deployed stack costs (list prices, infra/prices.ts): at rest per month, per 1,000 segment requests, the cold start; for the settings a deploy from\n" +
        "this shell would use (SEMLA_DATABASE, SEMLA_NETWORK, SEMLA_ENDPOINT_MIN_COPIES, _MAX_COPIES, _IDLE_MINUTES).",
    )
    .requiredOption("--stage <stage>", "dev | production")
    .option("--requests-per-month <n>", "segment requests a month", numberArg({ integer: true, min: 0 }))
    .action(
      act(outcome, async (o: { stage: string; requestsPerMonth?: number }) => {
        let settings: StageSettings;
        try {
          settings = stageSettings(o.stage, deployOptions(process.env));
        } catch (error) {
          if (!(error instanceof StageSettingsError)) throw error;
          process.stderr.write(`semla: ${error.message}\n`);
          return EXIT.failed;
        }
        process.stdout.write(formatStageCosts(o.stage, settings, o.requestsPerMonth));
        return EXIT.ok;
      }),
    );

  program
    .command("sweep")
    .summary("remove what interrupted uploads left")
    .description("Removes pending adapter rows and orphan objects an interrupted upload left (on the configured database, else the embedded folder).")
    .option("--older-than <minutes>", "only what is older than this", numberArg({ min: 0 }), 15)
    .action(
      act(outcome, async (o: { olderThan: number }) => {
        await runSweep(o.olderThan);
        return EXIT.ok;
      }),
    );

  program
    .command("demo")
    .summary("generate a small adapter library, route, fuse")
    .description("Generates a small adapter library, routes a test embedding and fuses the plan.")
    .option("--dir <dir>", "where to write it", ".semla/demo")
    .option("--seed <n>", "the random seed", numberArg({ integer: true, min: 0 }), 7)
    .action(
      act(outcome, async (o: { dir: string; seed: number }) => {
        await runDemo({ root: path.resolve(o.dir), seed: o.seed });
        return EXIT.ok;
      }),
    );

  program
    .command("centroid")
    .summary("the CLIP-embedding centroid of a folder of images")
    .description("The CLIP-embedding centroid of a folder of images (JPEG, PNG, WebP), with a model pack's image encoder (or a generated preset's).")
    .argument("<folder>", "the images")
    .addOption(new Option("--models <dir>", "a model pack's image encoder").conflicts("preset"))
    .addOption(new Option("--preset <preset>", "a generated preset's image encoder (default b16)").choices(["tiny", "b16", "l14"]))
    .option("--out <file>", "write it (.npy or .json) instead of printing it")
    .option("--batch <n>", "images per batch", numberArg({ integer: true, min: 1 }), 16)
    .action(
      act(outcome, async (folder: string, o: { models?: string; preset?: "tiny" | "b16" | "l14"; out?: string; batch: number }) => {
        const out = o.out === undefined ? undefined : await outputFile("--out", o.out);
        await runCentroid({
          folder: path.resolve(folder),
          models: o.models === undefined ? { preset: o.preset ?? "b16" } : { dir: path.resolve(o.models) },
          batchSize: o.batch,
          ...(out === undefined ? {} : { out }),
        });
        return EXIT.ok;
      }),
    );

  const evaluate = program
    .command("eval")
    .summary("zero-shot / uniform / SemLA / oracle mIoU per target")
    .description(
      "Zero-shot / uniform / SemLA / oracle mIoU per target (leave-one-out) on the synthetic world, or on dataset folders (images/, labels/, classes.txt).\n" +
        "Writes results.md, results.json, weights.json and contributions.png to --out; prints results.md (with --json: results.json).",
    )
    .option("--world <name>", "demo | tiny (default demo)")
    .option("--seed <n>", "the world's seed")
    .option("--dataset <folder>", "a dataset folder (repeatable); with --library", collect)
    .option("--library <id>", "the registry's library (with --dataset)")
    .option("--tenant <tenant>", "its tenant (default local)")
    .option("--exclude <names>", "adapters never chosen, comma-separated")
    .option("--oracle <name>", "the oracle adapter (with --dataset)")
    .option("--methods <list>", "zeroshot,uniform,semla,oracle (default all)")
    .option("--k <n>", "adapters fused")
    .option("--temperature <t>", "softmax temperature")
    .option("--metric <metric>", "euclidean | cosine")
    .option("--combination <c>", `${COMBINATIONS.join(" | ")} (default cat)`)
    .option("--density <d>", "for pruning combinations")
    .option("--backend <backend>", "local | sagemaker")
    .option("--sagemaker-endpoint <name>", "with --backend sagemaker (or SEMLA_SAGEMAKER_ENDPOINT)")
    .option("--models <dir>", "the model pack (with --dataset)")
    .option("--data-dir <dir>", "where the world is fitted and the embedded registry is (default: the data folder)")
    .option("--out <dir>", "where the reports go (default eval-results)")
    .option("--json", "print results.json instead of results.md");
  evaluate.action(
    act(outcome, async (o: Record<string, unknown>) => {
      // The options as the schema names them (its flags), over the environment of this run.
      const values = Object.fromEntries(Object.keys(EVAL_OPTIONS).map((flag) => [flag, o[attribute(flag)]]));
      const parsed = evalArgsSchema(process.env).safeParse(values);
      if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues, { prefix: "--" }));
      const { out } = await runEval(parsed.data);
      if (o.json === true) {
        process.stdout.write(await readFile(path.resolve(out, "results.json"), "utf8"));
        process.stderr.write(`written to ${out}\n`);
      } else {
        process.stdout.write(`${await readFile(path.resolve(out, "results.md"), "utf8")}\nwritten to ${out}\n`);
      }
      return EXIT.ok;
    }),
  );

  return program;
}

/** Parses `argv` (without node and the script) and runs the command; resolves with its exit status, or rejects with what it threw. */
export async function runProgram(argv: readonly string[]): Promise<number> {
  const outcome: Outcome = { code: EXIT.ok };
  const program = buildProgram(outcome);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    throw new CommanderError(EXIT.usage, "semla.no-command", "no command given");
  }
  await program.parseAsync([...argv], { from: "user" });
  return outcome.code;
}
