/**
 * What the pages show, computed from the API's answers without the DOM: the mask's legend, the
 * adapters' weight bars, the same request as a curl command, the heatmap's cells.
 */
import type { components } from "@semla/client";
import { classColour, hex, scaleColour } from "./palette.js";

type SegmentResult = components["schemas"]["SegmentResult"];
type ContributionStats = components["schemas"]["ContributionStats"];

export interface LegendRow {
  readonly index: number;
  readonly className: string;
  readonly colour: string;
  /** Percent of the mask's pixels, as the answer's `pixelFraction`. */
  readonly share: string;
  readonly meanProbability: string;
}

export const percent = (fraction: number, digits = 1): string => `${(fraction * 100).toFixed(digits)}%`;

/** One row per class name of the answer's `scores`, in the request's order (the mask's index). */
export function legendRows(scores: SegmentResult["scores"]): LegendRow[] {
  return scores.map((s, index) => ({
    index,
    className: s.className,
    colour: hex(classColour(index)),
    share: percent(s.pixelFraction),
    meanProbability: s.meanProbability.toFixed(3),
  }));
}

export interface WeightBar {
  readonly label: string;
  readonly weight: number;
  /** The bar's width: the weight in percent of the whole mixture. */
  readonly percent: number;
  readonly distance: string;
}

/** The fused adapters' weights as bars (the paper's Fig. 4); they sum to 100% as the plan's weights sum to 1. */
export function weightBars(contributions: SegmentResult["contributions"]): WeightBar[] {
  return contributions.map((c) => ({
    label: `${c.name} v${c.version}`,
    weight: c.weight,
    percent: c.weight * 100,
    distance: c.distance === null ? "—" : c.distance.toFixed(4),
  }));
}

/** The same request as a curl command: the key stays a variable, the image a file read by base64. */
export function curlCommand(origin: string, body: { libraryId: string; classNames: string[]; options: object }, imageName: string): string {
  const head = `${JSON.stringify(body).slice(0, -1)},"image":"`;
  return [
    `curl -s ${origin}/v1/segment -H "authorization: Bearer $SEMLA_API_KEY" -H 'content-type: application/json' \\`,
    `  -d ${singleQuoted(head)}"$(base64 -w0 ${shellWord(imageName)})"${singleQuoted('"}')}`,
  ].join("\n");
}

const singleQuoted = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
const shellWord = (word: string): string => (/^[A-Za-z0-9_./:=,@+-]+$/.test(word) ? word : singleQuoted(word));

export interface HeatmapCell {
  readonly row: string;
  readonly column: string;
  readonly value: number;
  readonly colour: string;
  /** What hovering the cell says. */
  readonly title: string;
}

/** The rows of the contributions heatmap: mean and max weight, and the shares of requests that used the adapter or had it nearest. */
export const HEATMAP_ROWS = ["mean weight", "max weight", "used in", "nearest in"] as const;

/** The heatmap of a library's contributions: a row per measure, a column per adapter, values in [0, 1]. */
export function heatmapCells(stats: ContributionStats): HeatmapCell[][] {
  const of = (a: ContributionStats["adapters"][number], row: (typeof HEATMAP_ROWS)[number]): number =>
    row === "mean weight" ? a.meanWeight : row === "max weight" ? a.maxWeight : stats.requests === 0 ? 0 : (row === "used in" ? a.uses : a.topRank) / stats.requests;
  return HEATMAP_ROWS.map((row) =>
    stats.adapters.map((a) => {
      const value = of(a, row);
      const column = `${a.name} v${a.version}`;
      return { row, column, value, colour: hex(scaleColour(value)), title: `${column}, ${row}: ${value.toFixed(3)}` };
    }),
  );
}

/** The API's error as one line: its message and code. */
export function errorLine(error: unknown, status: number): string {
  const e = (error as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof e?.message === "string" ? `${e.message} (${String(e.code)})` : `HTTP ${status}`;
}
