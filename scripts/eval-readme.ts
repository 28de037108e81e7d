/**
 * `npm run eval:readme`: runs `semla eval` on the demo world (seed 7) and puts its table into the
 * README between the eval markers and its heatmap at docs/eval-contributions.png; then the
 * out-of-library experiment on the same world, its table between the coverage-eval markers.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EvalArgsSchema, runEval } from "@semla/cli/eval";
import { coverageMarkdown, runWorldCoverageExperiment } from "@semla/eval";
import { DEFAULT_WORLD_SEED, WORLD_DEMO } from "@semla/world";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataDir = path.join(root, ".cache", "eval-readme");

/** `readme` with the text between `begin` and `end` replaced by `text`. */
function replaceBlock(readme: string, begin: string, end: string, text: string): string {
  const start = readme.indexOf(begin);
  const stop = readme.indexOf(end, start);
  if (start < 0 || stop < start) throw new Error(`README.md has no ${begin} … ${end} section`);
  return `${readme.slice(0, start + begin.length)}\n${text}\n${readme.slice(stop)}`;
}

const readmePath = path.join(root, "README.md");
const out = await mkdtemp(path.join(tmpdir(), "semla-eval-readme-"));
try {
  await runEval(EvalArgsSchema.parse({ world: "demo", seed: String(DEFAULT_WORLD_SEED), out, "data-dir": dataDir }));
  await mkdir(path.join(root, "docs"), { recursive: true });
  await copyFile(path.join(out, "contributions.png"), path.join(root, "docs", "eval-contributions.png"));
  const table = (await readFile(path.join(out, "results.md"), "utf8")).trim();
  const coverage = await runWorldCoverageExperiment({ dataDir, spec: WORLD_DEMO, seed: DEFAULT_WORLD_SEED, onProgress: (m) => process.stderr.write(`  ${m}\n`) });
  let readme = await readFile(readmePath, "utf8");
  readme = replaceBlock(readme, "<!-- eval:begin (npm run eval:readme) -->", "<!-- eval:end -->", table);
  readme = replaceBlock(readme, "<!-- coverage-eval:begin (npm run eval:readme) -->", "<!-- coverage-eval:end -->", coverageMarkdown(coverage, { world: WORLD_DEMO.name, seed: DEFAULT_WORLD_SEED }));
  await writeFile(readmePath, readme);
  process.stdout.write("README.md and docs/eval-contributions.png updated\n");
} finally {
  await rm(out, { recursive: true, force: true });
}
