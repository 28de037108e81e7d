/**
 * `npm run eval:readme`: runs `semla eval` on the demo world (seed 7) and puts its table into the
 * README between the eval markers and its heatmap at docs/eval-contributions.png.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EvalArgsSchema, runEval } from "@semla/cli/eval";

const root = fileURLToPath(new URL("..", import.meta.url));
const BEGIN = "<!-- eval:begin (npm run eval:readme) -->";
const END = "<!-- eval:end -->";

const out = await mkdtemp(path.join(tmpdir(), "semla-eval-readme-"));
try {
  await runEval(EvalArgsSchema.parse({ world: "demo", seed: "7", out, "data-dir": path.join(root, ".cache", "eval-readme") }));
  await mkdir(path.join(root, "docs"), { recursive: true });
  await copyFile(path.join(out, "contributions.png"), path.join(root, "docs", "eval-contributions.png"));
  const table = (await readFile(path.join(out, "results.md"), "utf8")).trim();
  const readmePath = path.join(root, "README.md");
  const readme = await readFile(readmePath, "utf8");
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  await writeFile(readmePath, `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`);
  process.stdout.write("README.md and docs/eval-contributions.png updated\n");
} finally {
  await rm(out, { recursive: true, force: true });
}
