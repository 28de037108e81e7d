import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runDemo } from "./demo.js";

const USAGE = `usage: semla <command> [options]

commands:
  demo [--dir DIR] [--seed N]   generate a small adapter library, route a test embedding, fuse the plan
`;

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
    process.stderr.write(`semla: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
