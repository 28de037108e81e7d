/**
 * `semla models prepare` on a CAT-Seg-L-sized graph (issue 14): the 214 LoRA target modules of a
 * SemLA CAT-Seg-L adapter with their shapes (core's CATSEG_L_MODULES, from the team's reference list),
 * each an nn.Linear as torch exports it (MatMul against Wᵀ `onnx::MatMul_N` [in, out] + Add of
 * `<module>.bias`, scoped `/…/<module>/MatMul`), 1.42 GB of float32 weights in external data. Each
 * layer reads a token batch of its input width and the outputs are averaged into one scalar, so the
 * graph is the targets' own compute without the rest of CAT-Seg around it: the worst case for the
 * LoRA branch's share.
 * - preparing it: wall time and the preparing process's peak RSS (a child process, so the graph's
 *   generation here does not count), next to reading the .onnx file it rewrites;
 * - inference of the unprepared export, the prepared graph at rank 0 and at rank 40 (a cat fusion of
 *   5 rank-8 adapters), in the same run.
 */

import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { table } from "@semla/cli/format";
import { CATSEG_L_MODULES } from "@semla/core";
import { createOrtSession, type OrtSession } from "@semla/inference";
import { loraInputNames, onnx, writePackFile } from "@semla/models";
import { median, writeResult } from "./stats.js";

const TOKENS = 64;
const RUNS = 5;
const RANK = 40;

const dir = await mkdtemp(path.join(tmpdir(), "semla-prepare-bench-"));
const exportFile = path.join(dir, "catseg-l.onnx");
const started = performance.now();
{
  const g = new onnx.GraphBuilder("catseg_l_targets");
  const inputs = new Map<number, string>();
  const means: string[] = [];
  let n = 0;
  for (const module of CATSEG_L_MODULES) {
    const width = module.inFeatures;
    if (!inputs.has(width)) inputs.set(width, g.input(`x${width}`, "float32", [1, TOKENS, width]));
    const scope = `/${module.name.replaceAll(".", "/")}`;
    const weight = g.initializer(`onnx::MatMul_${1000 + n++}`, new Float32Array(module.inFeatures * module.outFeatures).fill(1 / module.inFeatures), [module.inFeatures, module.outFeatures]);
    const bias = g.initializer(`${module.name}.bias`, new Float32Array(module.outFeatures).fill(0.01), [module.outFeatures]);
    const product = g.matMul(inputs.get(width) as string, weight, `${scope}/MatMul`);
    const y = g.add(bias, product, `${scope}/Add`);
    means.push(g.reduceMean(y, [0, 1, 2], false, `${scope}/Mean`));
  }
  const total = g.op("Sum", means, {}, "/Sum");
  g.output(total, "out", "float32", []);
  const encoded = onnx.encodeModelParts(g.build(), { externalData: { location: "catseg-l.onnx.data" } });
  await writePackFile(dir, "catseg-l.onnx.data", encoded.externalData!);
  await writePackFile(dir, "catseg-l.onnx", encoded.model);
}
const buildMs = performance.now() - started;
const dataBytes = (await stat(path.join(dir, "catseg-l.onnx.data"))).size;
const graphBytes = (await stat(exportFile)).size;

// Preparing, in a process of its own: its peak RSS is the surgery's (plus Node's baseline, measured too).
const child = fileURLToPath(new URL("./prepare-child.ts", import.meta.url));
const runChild = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, ["--import", "tsx", child, ...args], { encoding: "utf8" })) as { ms: number; maxRssMb: number; modules: number; readMs: number };
const baseline = runChild("baseline");
const prepares = [1, 2, 3].map(() => runChild(exportFile, path.join(dir, "prepared.onnx")));

// Inference: the export, the prepared graph at rank 0 and at rank 40.
const feeds = (prepared: boolean, rank: number) => {
  const f: Record<string, { type: "float32"; data: Float32Array; dims: number[] }> = {};
  for (const width of new Set(CATSEG_L_MODULES.map((m) => m.inFeatures))) f[`x${width}`] = { type: "float32", data: new Float32Array(TOKENS * width).fill(0.5), dims: [1, TOKENS, width] };
  if (prepared) {
    for (const m of CATSEG_L_MODULES) {
      const names = loraInputNames(m.name);
      f[names.a] = { type: "float32", data: new Float32Array(rank * m.inFeatures).fill(0.001), dims: [rank, m.inFeatures] };
      f[names.b] = { type: "float32", data: new Float32Array(m.outFeatures * rank).fill(0.001), dims: [m.outFeatures, rank] };
    }
  }
  return f;
};
// The three are timed in turn, run after run, so a slow moment of the machine falls on all of them.
const plain = await createOrtSession(exportFile, { intraOpThreads: 2 });
const prepared = await createOrtSession(path.join(dir, "prepared.onnx"), { intraOpThreads: 2 });
const cases: [OrtSession, ReturnType<typeof feeds>, number[]][] = [
  [plain, feeds(false, 0), []],
  [prepared, feeds(true, 0), []],
  [prepared, feeds(true, RANK), []],
];
for (const [session, input] of cases) await session.run(input);
for (let i = 0; i < RUNS; i++) {
  for (const [session, input, times] of cases) {
    const t = performance.now();
    await session.run(input);
    times.push(performance.now() - t);
  }
}
const [plainTimes, rank0Times, rank40Times] = cases.map((c) => c[2]) as [number[], number[], number[]];
await plain.release();
await prepared.release();
await rm(dir, { recursive: true, force: true });

const plainMs = median(plainTimes);
const prepare = {
  ms: median(prepares.map((p) => p.ms)),
  readMs: median(prepares.map((p) => p.readMs)),
  maxRssMb: Math.max(...prepares.map((p) => p.maxRssMb)),
};
console.log(
  `CAT-Seg-L-sized export: ${CATSEG_L_MODULES.length} target linears, ${(dataBytes / 1e9).toFixed(2)} GB of weights in external data, a ${(graphBytes / 1e3).toFixed(0)} kB graph (built in ${(buildMs / 1000).toFixed(1)} s)\n`,
);
console.log(
  table(
    ["prepare (median of 3, own process)", "value"],
    [
      ["modules made LoRA-ready", String(prepares[0]?.modules)],
      ["wall time", `${prepare.ms.toFixed(0)} ms (reading the .onnx: ${prepare.readMs.toFixed(0)} ms)`],
      ["peak RSS", `${prepare.maxRssMb.toFixed(0)} MB (Node + tsx alone: ${baseline.maxRssMb.toFixed(0)} MB)`],
    ],
  ),
);
console.log(
  `\n${table(
    [`inference, ${TOKENS} tokens per layer (median of ${RUNS})`, "ms", "× the export"],
    [
      ["the export, unprepared", plainMs.toFixed(1), "1.00×"],
      ["prepared, rank 0 (zero-shot)", median(rank0Times).toFixed(1), `${(median(rank0Times) / plainMs).toFixed(2)}×`],
      [`prepared, rank ${RANK} (5 fused rank-8 adapters)`, median(rank40Times).toFixed(1), `${(median(rank40Times) / plainMs).toFixed(2)}×`],
    ],
  )}`,
);
await writeResult("prepare", { tokens: TOKENS, rank: RANK, dataBytes, graphBytes, buildMs, baseline, prepares, plainTimes, rank0Times, rank40Times });
