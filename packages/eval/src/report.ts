import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { contributionMatrix } from "./contributions.js";
import { renderHeatmapPng } from "./heatmap.js";
import type { EvalMethod, EvalResult } from "./runner.js";

const TITLES: Record<EvalMethod, string> = { zeroshot: "zero-shot", uniform: "uniform", semla: "SemLA", oracle: "oracle" };

const percent = (v: number | null | undefined) => (typeof v === "number" ? (100 * v).toFixed(1) : "–");

/**
 * The results table in Markdown: mIoU (%) per target domain and method, then the mean. The best of
 * the methods that do not know the target (all but oracle) is in bold, as in the paper's Table 1.
 */
export function markdownTable(result: EvalResult): string {
  const methods = result.methods;
  const blind = methods.filter((m) => m !== "oracle");
  const row = (label: string, values: Readonly<Partial<Record<EvalMethod, number | null>>>) => {
    const best = Math.max(...blind.map((m) => values[m] ?? -Infinity));
    const cells = methods.map((m) => {
      const text = percent(values[m]);
      return m !== "oracle" && values[m] === best && blind.length > 1 ? `**${text}**` : text;
    });
    return `| ${label} | ${cells.join(" | ")} |`;
  };
  return [
    `| target | ${methods.map((m) => TITLES[m]).join(" | ")} |`,
    `|---|${methods.map(() => "---:").join("|")}|`,
    ...result.domains.map((d) => row(d.domain, d.miou)),
    row("**mean**", result.mean),
  ].join("\n");
}

/** One line describing how SemLA routed and fused (defaults named as the pipeline applies them). */
export function settingsLine(result: EvalResult): string {
  const s = result.settings;
  const leaveOneOut = result.domains.every((d) => d.excluded.length === 1 && d.excluded[0] === d.domain && d.oracle === d.domain);
  const excluded = [...new Set(result.domains.flatMap((d) => d.excluded))];
  const protocol = leaveOneOut
    ? "leave-one-out (each target's own adapter excluded from SemLA and uniform; oracle = that adapter)"
    : `excluded from SemLA and uniform: ${excluded.length > 0 ? excluded.join(", ") : "none"}`;
  return `SemLA: top-k ${s.k ?? "5 (default)"}, temperature ${s.temperature ?? "0.05 (default)"}, metric ${s.metric ?? "the library's"}, combination ${s.combination}; ${protocol}.`;
}

/** Per-image SemLA weights keyed by image, then adapter, as the SemLA reference code's weights.json. */
export function weightsJson(result: EvalResult): Record<string, Record<string, number>> {
  return Object.fromEntries(result.weights.map((w) => [w.image, { ...w.weights }]));
}

export interface WrittenReports {
  readonly markdown: string;
  readonly json: string;
  readonly weights: string;
  readonly heatmap: string | null;
}

/**
 * Writes results.md, results.json, weights.json and (when SemLA ran) contributions.png into `dir`.
 * `meta` (world seed, sizes, dataset) goes into the JSON and under the Markdown table.
 */
export async function writeReports(dir: string, result: EvalResult, meta: Record<string, unknown> = {}, adapters?: readonly string[]): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const files = {
    markdown: path.join(dir, "results.md"),
    json: path.join(dir, "results.json"),
    weights: path.join(dir, "weights.json"),
    heatmap: result.weights.length > 0 ? path.join(dir, "contributions.png") : null,
  };
  const metaLines = Object.entries(meta).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  await writeFile(files.markdown, `${markdownTable(result)}\n\nmIoU (%). ${settingsLine(result)}\n${metaLines.length ? `\n${metaLines.join("\n")}\n` : ""}`);
  await writeFile(files.json, `${JSON.stringify({ ...meta, ...result }, null, 2)}\n`);
  await writeFile(files.weights, `${JSON.stringify(weightsJson(result), null, 2)}\n`);
  if (files.heatmap) await writeFile(files.heatmap, await renderHeatmapPng(contributionMatrix(result.weights, adapters)));
  return files;
}
