import type { ExecutionProviderName } from "../runtime/ort.js";
import type { Feeds, Outputs } from "./tensors.js";

/** Messages between the pool (main thread) and an ONNX Runtime worker. */

export interface SessionSettings {
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  readonly executionProviders?: readonly ExecutionProviderName[];
}

/** `workerData` of every worker: the models to load once, by name, and how. */
export interface WorkerInit {
  readonly models: Readonly<Record<string, string>>;
  readonly session: SessionSettings;
}

/** What a worker learnt about one model when it loaded it. */
export interface ModelInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/**
 * Post-processing done in the worker on one output, which then does not travel back: segmentation
 * logits [1, classes, h, w] → label mask at width × height and per-class scores.
 */
export interface LabelMaskReduction {
  readonly kind: "label-mask";
  readonly output: string;
  readonly classes: number;
  readonly width: number;
  readonly height: number;
}

export interface LabelMaskReduced {
  readonly kind: "label-mask";
  readonly labels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly pixelFraction: Float64Array;
  readonly meanProbability: Float64Array;
  /** Time the reduction took in the worker. */
  readonly ms: number;
}

export type ToWorker = {
  readonly type: "run";
  readonly id: number;
  readonly model: string;
  readonly feeds: Feeds;
  readonly reduce: LabelMaskReduction | null;
};

export type FromWorker =
  | { readonly type: "ready"; readonly models: Readonly<Record<string, ModelInfo>> }
  | { readonly type: "init-error"; readonly model: string; readonly message: string }
  | {
      readonly type: "result";
      readonly id: number;
      readonly outputs: Outputs;
      readonly runMs: number;
      readonly reduced: LabelMaskReduced | null;
    }
  | { readonly type: "error"; readonly id: number; readonly message: string };
