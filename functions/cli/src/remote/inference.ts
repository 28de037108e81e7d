import { readFile, writeFile } from "node:fs/promises";
import { type fusion, numpy, SemlaError } from "@semla/core";
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
  /** An exact scan instead of the HNSW index. */
  readonly exact?: boolean | undefined;
  /** The HNSW candidate list size (recall against latency). */
  readonly efSearch?: number | undefined;
  /** What an out-of-library image gets (default: the library's policy). */
  readonly coverage?: "fuse" | "zeroshot" | "refuse" | undefined;
}

export function routeOptions(flags: RoutingFlags) {
  return {
    ...(flags.k !== undefined ? { k: flags.k } : {}),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.metric ? { metric: flags.metric } : {}),
    ...(flags.exclude?.length ? { exclude: [...flags.exclude] } : {}),
    ...(flags.exact ? { exact: true } : {}),
    ...(flags.efSearch !== undefined ? { efSearch: flags.efSearch } : {}),
    ...(flags.coverage !== undefined ? { coverage: flags.coverage } : {}),
  };
}

/** A query embedding file (.npy, .npz with a `centroid` array, or .json) as the API's `embedding` field. */
export async function embeddingField(embeddingPath: string): Promise<{ embedding: number[] }> {
  const raw = new Uint8Array(await readFile(embeddingPath));
  const embedding = await numpy.parseCentroid({ format: numpy.detectCentroidFormat(embeddingPath, raw), bytes: raw }, { key: numpy.SEMLA_CENTROID_KEY });
  return { embedding: [...embedding] };
}

/**
 * `semla route (IMAGE | --embedding E.npy) --library ID`: the fusion plan the service would use for
 * the image (embedded by the service) or for the embedding as it is. Exactly one of the two.
 */
export async function runRoute(
  connection: Connection,
  options: { imagePath?: string | undefined; embeddingPath?: string | undefined; libraryId: string; json?: boolean } & RoutingFlags,
): Promise<void> {
  if ((options.imagePath === undefined) === (options.embeddingPath === undefined)) throw new SemlaError("cli.route-query", "route takes an image or --embedding FILE, not both or neither");
  const query = options.embeddingPath !== undefined ? await embeddingField(options.embeddingPath) : await imageField(connection, new Uint8Array(await readFile(options.imagePath as string)));
  const result = await expectOk(await connection.client.v1.route.$post({ json: { libraryId: options.libraryId, ...query, options: routeOptions(options) } }));
  if (options.json) return printJson(result);
  printContributions(result.contributions);
  console.log(`metric ${result.plan.metric}, temperature ${result.plan.temperature ?? "-"}, k ${result.plan.k}; ${timingsLine(result.timings)}`);
  console.log(coverageLine(result.coverage));
}

/** One line on the answer's coverage: in or out of the library, by how much, and what the policy did. */
export function coverageLine(coverage: { status: string; score: number | null; threshold: number | null; nearestDistance: number | null; policy: string; fallback: boolean }): string {
  if (coverage.status === "uncalibrated") return "coverage: uncalibrated (the library cannot tell: fewer than two adapters and no sample spread)";
  const ratio = `${coverage.score?.toFixed(2)}× its calibrated radius ${coverage.threshold?.toFixed(4)}, nearest distance ${coverage.nearestDistance?.toFixed(4)}`;
  return `coverage: ${coverage.status} (${ratio}; policy ${coverage.policy}${coverage.fallback ? ": served by the base model" : ""})`;
}

export type Combination = fusion.Combination;

/** Every combination, in the order help lists them. */
export const COMBINATIONS: readonly Combination[] = ["cat", "linear", "ties", "dare_linear", "dare_ties", "magnitude_prune", "svd"];

/** The fusion settings a command takes as flags, each for the combinations that use it. */
export interface FusionFlags {
  readonly combination?: Combination | undefined;
  readonly density?: number | undefined;
  readonly majoritySign?: "total" | "frequency" | undefined;
  readonly seed?: number | undefined;
  readonly rank?: number | undefined;
  readonly clamp?: number | undefined;
}

/** Which combinations each setting applies to (core's FusionOptionsSchema, as flags). */
export const FUSION_FLAG_USES: Readonly<Record<Exclude<keyof FusionFlags, "combination">, { flag: string; combinations: readonly Combination[] }>> = {
  density: { flag: "--density", combinations: ["ties", "dare_linear", "dare_ties", "magnitude_prune"] },
  majoritySign: { flag: "--majority-sign", combinations: ["ties", "dare_ties"] },
  seed: { flag: "--seed", combinations: ["dare_linear", "dare_ties"] },
  rank: { flag: "--rank", combinations: ["svd"] },
  clamp: { flag: "--clamp", combinations: ["svd"] },
};

/**
 * The request's fusion options from flags (undefined: the service's default, cat). A setting given
 * for a combination that does not use it is refused (a SemlaError cli.fusion-flag), not dropped;
 * pruning combinations get density 0.5 unless given (PEFT has no default for it).
 */
export function fusionFromFlags(flags: FusionFlags): fusion.FusionOptionsInput | undefined {
  const combination = flags.combination;
  for (const [key, use] of Object.entries(FUSION_FLAG_USES)) {
    if (flags[key as keyof typeof FUSION_FLAG_USES] === undefined) continue;
    if (combination === undefined || !use.combinations.includes(combination)) {
      throw new SemlaError("cli.fusion-flag", `${use.flag} is for --combination ${use.combinations.join(" | ")}${combination ? `, not ${combination}` : ""}`);
    }
  }
  if (combination === undefined) return undefined;
  const base = fusionOptions(combination, flags.density);
  return {
    ...base,
    ...(flags.majoritySign !== undefined && { majoritySign: flags.majoritySign }),
    ...(flags.seed !== undefined && { seed: flags.seed }),
    ...(flags.rank !== undefined && { rank: flags.rank }),
    ...(flags.clamp !== undefined && { clamp: flags.clamp }),
  } as fusion.FusionOptionsInput;
}

/** Pruning combinations need a density (PEFT has no default for it); 0.5 unless given. */
export function fusionOptions(combination: Combination, density = 0.5): fusion.FusionOptionsInput {
  switch (combination) {
    case "ties":
    case "dare_linear":
    case "dare_ties":
    case "magnitude_prune":
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
    /** All the fusion settings (fusionFromFlags); over combination and density when given. */
    fusion?: fusion.FusionOptionsInput | undefined;
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
    ...(options.fusion ? { fusion: options.fusion } : options.combination ? { fusion: fusionOptions(options.combination, options.density) } : {}),
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
  if (result.coverage) console.log(coverageLine(result.coverage));
  console.log(`mask ${result.width}x${result.height} → ${options.out}${options.overlay ? `, overlay → ${options.overlay}` : ""}`);
}
