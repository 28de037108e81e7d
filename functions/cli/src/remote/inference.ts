import { readFile, writeFile } from "node:fs/promises";
import type { fusion } from "@semla/core";
import { bar, printJson, table } from "../format.js";
import { DEFAULT_WAIT_SECONDS, whileScalingFromZero } from "./capacity-wait.js";
import { type Connection, expectOk, imageField } from "./connection.js";
import { overlayPng } from "./overlay.js";

interface ContributionRow {
  readonly rank: number;
  readonly name: string;
  readonly version: number;
  readonly distance: number | null;
  readonly weight: number;
}

function printContributions(rows: readonly ContributionRow[]): void {
  console.log(
    table(
      ["#", "adapter", "distance", "weight", ""],
      rows.map((c) => [String(c.rank), `${c.name} v${c.version}`, c.distance?.toFixed(4) ?? "-", c.weight.toFixed(4), bar(c.weight)]),
    ),
  );
}

const timingsLine = (stages: Readonly<Record<string, number>>) =>
  Object.entries(stages)
    .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
    .join(", ");

export interface RoutingFlags {
  readonly k?: number | undefined;
  readonly temperature?: number | undefined;
  readonly metric?: "euclidean" | "cosine" | undefined;
  readonly exclude?: readonly string[] | undefined;
}

export function routeOptions(flags: RoutingFlags) {
  return {
    ...(flags.k !== undefined ? { k: flags.k } : {}),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.metric ? { metric: flags.metric } : {}),
    ...(flags.exclude?.length ? { exclude: [...flags.exclude] } : {}),
  };
}

/** `semla route IMAGE --library ID`: the fusion plan the service would use for the image. */
export async function runRoute(connection: Connection, options: { imagePath: string; libraryId: string; json?: boolean } & RoutingFlags): Promise<void> {
  const image = await imageField(connection, new Uint8Array(await readFile(options.imagePath)));
  const result = await expectOk(await connection.client.v1.route.$post({ json: { libraryId: options.libraryId, ...image, options: routeOptions(options) } }));
  if (options.json) return printJson(result);
  printContributions(result.contributions);
  console.log(`metric ${result.plan.metric}, temperature ${result.plan.temperature ?? "-"}, k ${result.plan.k}; ${timingsLine(result.timings)}`);
}

export type Combination = "cat" | "linear" | "ties" | "dare_linear" | "dare_ties" | "svd";

/** Pruning combinations need a density (PEFT has no default for it); 0.5 unless given. */
export function fusionOptions(combination: Combination, density = 0.5): fusion.FusionOptionsInput {
  switch (combination) {
    case "ties":
    case "dare_linear":
    case "dare_ties":
      return { combination, density };
    default:
      return { combination };
  }
}

/** `semla segment IMAGE --library ID --classes a,b`: writes the mask (and an overlay) and prints the scores and plan. */
export async function runSegment(
  connection: Connection,
  options: {
    imagePath: string;
    libraryId: string;
    classNames: readonly string[];
    mode?: "semla" | "uniform" | "zeroshot" | "adapter" | undefined;
    adapter?: string | undefined;
    combination?: Combination | undefined;
    density?: number | undefined;
    out: string;
    overlay?: string | undefined;
    /** How long to wait for a GPU scaling from zero (0: not at all); default DEFAULT_WAIT_SECONDS. */
    waitSeconds?: number | undefined;
    /** Print the API's answer as JSON (the mask's path in place of its PNG) instead of tables. */
    json?: boolean;
  } & RoutingFlags,
): Promise<void> {
  const bytes = new Uint8Array(await readFile(options.imagePath));
  const segmentOptions = {
    ...routeOptions(options),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.adapter ? { adapter: options.adapter } : {}),
    ...(options.combination ? { fusion: fusionOptions(options.combination, options.density) } : {}),
  };
  const json = { libraryId: options.libraryId, ...(await imageField(connection, bytes)), classNames: [...options.classNames], options: segmentOptions };
  const result = await whileScalingFromZero(connection, options.waitSeconds ?? DEFAULT_WAIT_SECONDS, async (client) => expectOk(await client.v1.segment.$post({ json })));
  const mask = new Uint8Array(Buffer.from(result.mask, "base64"));
  await writeFile(options.out, mask);
  if (options.overlay) await writeFile(options.overlay, await overlayPng(bytes, mask));
  if (options.json) {
    // The mask went to --out: its path stands in for the base64 PNG.
    const { mask: _png, ...rest } = result;
    return printJson({ ...rest, mask: options.out, ...(options.overlay && { overlay: options.overlay }) });
  }
  console.log(
    table(
      ["class", "pixels", "mean p", ""],
      result.scores.map((s) => [s.className, `${(s.pixelFraction * 100).toFixed(1)}%`, s.meanProbability.toFixed(3), bar(s.pixelFraction)]),
    ),
  );
  if (result.contributions.length > 0) printContributions(result.contributions);
  console.log(`mode ${result.mode}${result.fusion ? `, ${result.fusion.combination}${result.fusion.cached ? " (cached)" : ""}` : ""}; ${timingsLine(result.timings.stages)}`);
  console.log(`mask ${result.width}x${result.height} → ${options.out}${options.overlay ? `, overlay → ${options.overlay}` : ""}`);
}
