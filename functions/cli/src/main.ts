/**
 * The `semla` entry: the data folder resolved once (so every command finds the embedded default
 * from any directory), the program run, and whatever it threw mapped to one line and an exit status
 * by describeFailure (program/failure.ts).
 */
import { resolveDataDir } from "./program/data-dir.js";
import { describeFailure } from "./program/failure.js";
import { runProgram } from "./program/program.js";

process.env.SEMLA_DATA_DIR = resolveDataDir(process.env, process.cwd());

runProgram(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const failure = describeFailure(error);
    if (failure.message) process.stderr.write(failure.message);
    process.exit(failure.exitCode);
  },
);
