import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isSemlaError } from "@semla/core";
import { parseArgs } from "node:util";
import { runCentroid } from "./centroid.js";
import { runDemo } from "./demo.js";
import { EVAL_OPTIONS, EvalArgsSchema, runEval } from "./eval.js";

const USAGE = `usage: semla <command> [options]

commands:
  demo [--dir DIR] [--seed N]   generate a small adapter library, route a test embedding, fuse the plan
  centroid FOLDER [--preset tiny|b16|l14] [--out FILE.npy|FILE.json] [--batch N]
                                CLIP-embedding centroid of a folder of images (JPEG, PNG, WebP)
  eval [--world demo|tiny] [--seed N] [--dataset FOLDER]... [--library ID] [--exclude A,B] [--oracle NAME]
       [--methods zeroshot,uniform,semla,oracle] [--k N] [--temperature T] [--metric euclidean|cosine]
       [--combination cat|linear|ties|...] [--backend local|sagemaker] [--models DIR] [--out DIR]
                                zero-shot / uniform / SemLA / oracle mIoU per target (leave-one-out) on the
                                synthetic world, or on dataset folders (images/, labels/, classes.txt)
`;

const PRESETS = ["tiny", "b16", "l14"] as const;

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
        options: { preset: { type: "string", default: "b16" }, out: { type: "string" }, batch: { type: "string", default: "16" } },
      });
      const [folder] = positionals;
      if (folder === undefined || positionals.length > 1) throw new UsageError("centroid takes one image folder");
      const preset = PRESETS.find((p) => p === values.preset);
      if (!preset) throw new UsageError(`--preset must be one of ${PRESETS.join(", ")}, got ${values.preset}`);
      const batchSize = Number(values.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch must be a positive integer, got ${values.batch}`);
      await runCentroid({ folder: resolve(folder), preset, batchSize, ...(values.out === undefined ? {} : { out: resolve(values.out) }) });
      return 0;
    }
    case "eval": {
      const { values } = parseArgs({ args: rest, options: EVAL_OPTIONS });
      const parsed = EvalArgsSchema.safeParse(values);
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
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
