/** Small helpers for benchmarks: repeated timing, percentiles, result files. */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Runs `fn` `warmup` times untimed, then `runs` times, returning each run's milliseconds. */
export function timeRuns(fn: () => unknown, { runs, warmup = 2 }: { runs: number; warmup?: number }): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    globalThis.gc?.();
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Where a result was measured, written into every result file (docs/benchmarks/ keeps the quoted ones). */
export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

export async function writeResult(name: string, result: object): Promise<void> {
  await mkdir("bench/results", { recursive: true });
  await writeFile(`bench/results/${name}.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`);
  console.log(`\nwritten bench/results/${name}.json`);
}
