/** One `prepareSegmenter` in a process of its own (bench/prepare.bench.ts): prints its time and the process's peak RSS as JSON. */
import { readFile } from "node:fs/promises";

/** This process's peak resident set (VmHWM): getrusage's maxRSS would include the parent's, inherited across fork. */
async function peakRssMb(): Promise<number> {
  const status = await readFile("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

import path from "node:path";
import { prepareSegmenter, prepareTargets, writePackFile } from "@semla/models";

const [input, output] = process.argv.slice(2);
if (input === "baseline") {
  process.stdout.write(`${JSON.stringify({ ms: 0, readMs: 0, modules: 0, maxRssMb: await peakRssMb() })}\n`);
} else {
  const started = performance.now();
  const model = new Uint8Array(await readFile(input as string));
  const readMs = performance.now() - started;
  const prepared = prepareSegmenter(model, prepareTargets(".*"));
  await writePackFile(path.dirname(output as string), path.basename(output as string), prepared.model);
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, readMs, modules: prepared.modules.length, maxRssMb: await peakRssMb() })}\n`);
}
