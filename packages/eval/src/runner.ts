import type { fusion, routing } from "@semla/core";
import { type Pipeline, parseOptions, type SegmentOptions, SegmentOptionsSchema } from "@semla/pipeline";
import { decodeLabelPng } from "./label-png.js";
import { ConfusionMatrix } from "./miou.js";

/** The paper's Table 1 columns: the base model alone, the uniform merge, SemLA, and the target's own adapter. */
export const EVAL_METHODS = ["zeroshot", "uniform", "semla", "oracle"] as const;
export type EvalMethod = (typeof EVAL_METHODS)[number];

export interface EvalSample {
  /** Name in the per-image weights (e.g. `images/000.png`). */
  readonly name: string;
  /** Encoded image, as a client would send it. */
  readonly image: Uint8Array;
  /** Ground truth H×W (255 = ignore), at the image's size. */
  readonly labels: Uint8Array;
}

export interface EvalTarget {
  readonly domain: string;
  readonly samples: AsyncIterable<EvalSample> | Iterable<EvalSample>;
  /** Adapter names left out of SemLA and uniform (leave-one-out: the target's own). */
  readonly exclude: readonly string[];
  /** The oracle's adapter (the target's own); null: no oracle for this target. */
  readonly oracle: string | null;
}

export interface EvalOptions {
  readonly tenant: string;
  readonly libraryId: string;
  readonly classNames: readonly string[];
  readonly methods?: readonly EvalMethod[];
  readonly k?: number;
  readonly temperature?: number;
  readonly metric?: routing.Metric;
  /** How SemLA and uniform combine adapters (PEFT add_weighted_adapter); default cat. */
  readonly fusion?: fusion.FusionOptions;
  readonly onProgress?: (message: string) => void;
}

export interface ImageWeights {
  readonly domain: string;
  readonly image: string;
  /** SemLA's weight per adapter name, nearest first. */
  readonly weights: Readonly<Record<string, number>>;
}

export interface DomainResult {
  readonly domain: string;
  readonly images: number;
  /** Adapters left out of SemLA and uniform for this target, and its oracle adapter. */
  readonly excluded: readonly string[];
  readonly oracle: string | null;
  /** mIoU (0–1) per method; null where the method did not run (no oracle) or nothing was counted. */
  readonly miou: Readonly<Partial<Record<EvalMethod, number | null>>>;
}

export interface EvalResult {
  readonly methods: readonly EvalMethod[];
  readonly settings: { readonly k: number | null; readonly temperature: number | null; readonly metric: string | null; readonly combination: string };
  readonly domains: readonly DomainResult[];
  /** Mean over domains of each method's mIoU (domains where it ran). */
  readonly mean: Readonly<Partial<Record<EvalMethod, number | null>>>;
  /** SemLA's per-image weights (SemLA reference code's weights.json). */
  readonly weights: readonly ImageWeights[];
}

function mean(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === "number");
  return present.length === 0 ? null : present.reduce((s, v) => s + v, 0) / present.length;
}

/**
 * The SemLA protocol over target domains, every image through the request pipeline (what is
 * evaluated is what is served): per target, each method segments each image and its confusion
 * matrix accumulates over the domain. SemLA and uniform leave the target's own adapter out.
 */
export async function runEvaluation(pipeline: Pick<Pipeline, "segment">, targets: readonly EvalTarget[], options: EvalOptions): Promise<EvalResult> {
  const methods = options.methods ?? EVAL_METHODS;
  const fusionOptions: fusion.FusionOptions = options.fusion ?? { combination: "cat" };
  const routing = {
    ...(options.k !== undefined && { k: options.k }),
    ...(options.temperature !== undefined && { temperature: options.temperature }),
    ...(options.metric !== undefined && { metric: options.metric }),
  };
  const domains: DomainResult[] = [];
  const weights: ImageWeights[] = [];
  for (const target of targets) {
    const run = methods.filter((m) => m !== "oracle" || target.oracle !== null);
    const matrices = new Map(run.map((m) => [m, new ConfusionMatrix(options.classNames.length)]));
    // Each method's options for this target, parsed once here (the pipeline takes them parsed).
    const modeOptions = new Map<EvalMethod, SegmentOptions>(
      run.map((method) => [
        method,
        parseOptions(
          SegmentOptionsSchema,
          method === "oracle"
            ? { mode: "adapter", adapter: target.oracle }
            : method === "zeroshot"
              ? { mode: "zeroshot" }
              : { mode: method, ...routing, exclude: [...target.exclude], fusion: fusionOptions },
        ),
      ]),
    );
    let images = 0;
    for await (const sample of target.samples) {
      images++;
      for (const method of run) {
        const result = await pipeline.segment({ tenant: options.tenant, libraryId: options.libraryId, image: sample.image, classNames: options.classNames, options: modeOptions.get(method)! });
        const mask = await decodeLabelPng(result.maskPng);
        matrices.get(method)!.add(sample.labels, mask.labels);
        if (method === "semla") {
          weights.push({ domain: target.domain, image: sample.name, weights: Object.fromEntries(result.contributions.map((c) => [c.name, c.weight])) });
        }
      }
    }
    const miou = Object.fromEntries(run.map((m) => [m, matrices.get(m)!.meanIou()]));
    domains.push({ domain: target.domain, images, excluded: [...target.exclude], oracle: target.oracle, miou });
    options.onProgress?.(`${target.domain}: ${run.map((m) => `${m} ${((miou[m] ?? NaN) * 100).toFixed(1)}`).join(", ")}`);
  }
  return {
    methods,
    settings: { k: options.k ?? null, temperature: options.temperature ?? null, metric: options.metric ?? null, combination: fusionOptions.combination },
    domains,
    mean: Object.fromEntries(methods.map((m) => [m, mean(domains.map((d) => d.miou[m]))])),
    weights,
  };
}
