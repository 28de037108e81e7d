/** Small helpers for benchmarks: repeated timing, percentiles, result files. */
import { mkdir, writeFile } from "node:fs/promises";

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

export async function writeResult(name: string, result: unknown): Promise<void> {
  await mkdir("bench/results", { recursive: true });
  await writeFile(`bench/results/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten bench/results/${name}.json`);
}
