import { SemlaError } from "../../errors.js";
import { type NpyArray, readNpy } from "./npy.js";
import { hasNpyMagic } from "./npy-header.js";
import { openNpz } from "./npz.js";

/**
 * An adapter's domain centroid: the mean CLIP image embedding of its training set, which routing
 * compares query embeddings against. SemLA stores it in `<domain>_statistics.npz`; uploads may
 * also give it as a .npy or a JSON array.
 */
export type CentroidFormat = "json" | "npy" | "npz";

export interface CentroidInput {
  readonly format: CentroidFormat;
  readonly bytes: Uint8Array;
}

export interface CentroidOptions {
  /** The .npz key to read (default `train_average_embedding`); ignored for JSON and .npy. */
  readonly key?: string;
  /** The embedding dimension the centroid must have (e.g. 768 for CLIP ViT-L/14). */
  readonly dimension?: number;
}

/** The key SemLA's training script writes the centroid under. */
export const SEMLA_CENTROID_KEY = "train_average_embedding";

/**
 * Ours, optional beside SemLA's centroid: the training images' spread around it in each metric
 * (the 95th percentile of their distances, shape (1,)), which calibrates out-of-library detection.
 */
export const SEMLA_SPREAD_KEYS = { euclidean: "semla_spread_euclidean", cosine: "semla_spread_cosine" } as const;

/** No centroid is anywhere near this; it bounds what a deflated member may inflate to. */
const MAX_CENTROID_MEMBER_BYTES = 64 * 1024 * 1024;

export type CentroidRule = "format" | "options" | "json" | "key" | "shape" | "empty" | "non-finite" | "dimension-mismatch";

/** A centroid that is well-formed as a file but not a usable vector: `code` is `centroid.<rule>`. */
export class CentroidError extends SemlaError {
  readonly rule: CentroidRule;

  constructor(rule: CentroidRule, message: string, details: Record<string, unknown> = {}) {
    super(`centroid.${rule}`, `centroid: ${message}`, { rule, ...details });
    this.rule = rule;
  }
}

/**
 * Parses a centroid into a float32 vector. Accepted shapes are (D,) and (1, D) — a flat or
 * single-row JSON array likewise. Refuses empty vectors, NaN/±Infinity (naming the index, after
 * rounding to float32) and, when `dimension` is given, any other length.
 */
export async function parseCentroid(input: CentroidInput, options: CentroidOptions = {}): Promise<Float32Array> {
  const { dimension } = options;
  if (dimension !== undefined && (!Number.isSafeInteger(dimension) || dimension < 1)) {
    throw new CentroidError("options", `dimension must be a positive integer, got ${dimension}`, { dimension });
  }
  const array = await parseArray(input, options.key);
  const vector = asVector(array);
  if (vector.length === 0) throw new CentroidError("empty", `the vector is empty (shape ${shapeText(array.shape)})`, { shape: array.shape });
  const bad = vector.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new CentroidError("non-finite", `element ${bad} is ${String(vector[bad])}`, { index: bad, value: String(vector[bad]) });
  }
  if (dimension !== undefined && vector.length !== dimension) {
    throw new CentroidError("dimension-mismatch", `the vector has ${vector.length} dimensions, expected ${dimension}`, { expected: dimension, actual: vector.length });
  }
  return vector;
}

/** Magic bytes decide; an unrecognised file named .npy/.npz keeps that format so its parser reports what is wrong. */
export function detectCentroidFormat(fileName: string, bytes: Uint8Array): CentroidFormat {
  if (hasNpyMagic(bytes)) return "npy";
  // "PK\x03\x04" starts a ZIP with members; "PK\x05\x06" is an empty one (np.savez with no arrays).
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))) return "npz";
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".npy")) return "npy";
  if (lower.endsWith(".npz")) return "npz";
  return "json";
}

async function parseArray(input: CentroidInput, key: string | undefined): Promise<NpyArray> {
  switch (input.format) {
    case "json":
      return parseJson(input.bytes);
    case "npy":
      return readNpy(input.bytes);
    case "npz":
      return readNpzCentroid(input.bytes, key);
    default:
      throw new CentroidError("format", `unknown format ${JSON.stringify(input.format as unknown)}; expected json, npy or npz`);
  }
}

/** The requested key; absent an explicit key, the default — or the only array there is. */
async function readNpzCentroid(bytes: Uint8Array, key: string | undefined): Promise<NpyArray> {
  const npz = openNpz(bytes, { maxMemberSize: MAX_CENTROID_MEMBER_BYTES });
  const keys = npz.keys();
  const wanted = key ?? SEMLA_CENTROID_KEY;
  if (keys.includes(wanted)) return npz.array(wanted);
  if (key === undefined && keys.length === 1) return npz.array(keys[0]!);
  const listed = keys.length === 0 ? "it has no arrays" : `its arrays are ${keys.map((k) => JSON.stringify(k)).join(", ")}`;
  const hint = key === undefined && keys.length > 1 ? "; pass the key to use" : "";
  throw new CentroidError("key", `the .npz has no array ${JSON.stringify(wanted)}: ${listed}${hint}`, { key: wanted, keys });
}

/** `[x0, x1, ...]` is shape (D,); `[[x0, x1, ...]]` is (1, D). Every element must be a JSON number. */
function parseJson(bytes: Uint8Array): NpyArray {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CentroidError("json", `not a JSON document (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(value)) throw new CentroidError("json", `expected an array of numbers, got ${describe(value)}`);
  const rows: unknown[] = value;
  if (rows.length > 0 && rows.every((row) => Array.isArray(row))) {
    if (rows.length !== 1) {
      throw new CentroidError("shape", `a nested array must have exactly one row (shape (1, D)), got ${rows.length} rows`, { rows: rows.length });
    }
    const row: unknown[] = rows[0] as unknown[];
    return { shape: [1, row.length], data: numbers(row, (i) => `[0][${i}]`) };
  }
  return { shape: [rows.length], data: numbers(rows, (i) => `[${i}]`) };
}

function numbers(values: unknown[], path: (index: number) => string): Float32Array {
  const out = new Float32Array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== "number") throw new CentroidError("json", `element ${path(i)} is ${describe(v)}, not a number`, { index: i });
    out[i] = v;
  });
  return out;
}

/** (D,) and (1, D) are centroids; any other rank or leading axis is some other array. */
function asVector(array: NpyArray): Float32Array {
  const { shape } = array;
  if (shape.length === 1 || (shape.length === 2 && shape[0] === 1)) return array.data;
  throw new CentroidError("shape", `expected shape (D,) or (1, D), got ${shapeText(shape)}`, { shape });
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]!},)` : `(${shape.join(", ")})`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
