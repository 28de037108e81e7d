/**
 * Samples of the world by (domain, split, index), deterministic from a seed.
 *
 * The scene (layout + clean image) comes from the stream `world:scene:<split>:<index>` and does not
 * depend on the domain: sample i of every domain shows the same scene under a different shift, so
 * domain differences are purely visual and label maps line up across domains. Train and test use
 * different split names in their streams, so their scenes are drawn independently. Shift randomness
 * (raindrops, specks, noise) comes from `world:shift:<domain>:<split>:<index>`.
 */
import { createPrng, SemlaError } from "@semla/core";
import { type WorldDomain, worldDomain } from "./domains.js";
import { generateScene, type WorldImageSize } from "./scene.js";
import { applyShifts } from "./shifts.js";

export type WorldSplit = "train" | "test";
export const WORLD_SPLITS: readonly WorldSplit[] = ["train", "test"];

export interface SceneSampleOptions {
  /** Square side, or height and width; 8 to 2048 pixels. Default 64. */
  readonly size?: number | WorldImageSize;
  /** World seed (a 32-bit integer). Default 0. */
  readonly seed?: number;
}

export interface SceneSample extends WorldImageSize {
  /** RGB, H×W×3 row-major, after the domain's shifts. */
  readonly image: Uint8Array;
  /** Class index per pixel, H×W row-major; identical across domains for the same split and index. */
  readonly labels: Uint8Array;
  readonly domain: string;
  readonly split: WorldSplit;
  readonly index: number;
}

function invalid(field: string, message: string, value: unknown): SemlaError {
  return new SemlaError("world.invalid-options", message, { field, value });
}

function resolveSize(size: number | WorldImageSize): WorldImageSize {
  const { height, width } = typeof size === "number" ? { height: size, width: size } : size;
  for (const [field, value] of [
    ["height", height],
    ["width", width],
  ] as const) {
    if (!Number.isInteger(value) || value < 8 || value > 2048) throw invalid(field, `${field} must be an integer in [8, 2048], got ${value}`, value);
  }
  return { height, width };
}

export function sceneSample(domain: string | WorldDomain, split: WorldSplit, index: number, { size = 64, seed = 0 }: SceneSampleOptions = {}): SceneSample {
  const resolved = typeof domain === "string" ? worldDomain(domain) : domain;
  if (!WORLD_SPLITS.includes(split)) throw invalid("split", `split must be "train" or "test", got ${String(split)}`, split);
  if (!Number.isInteger(index) || index < 0) throw invalid("index", `index must be a non-negative integer, got ${index}`, index);
  if (!Number.isInteger(seed)) throw invalid("seed", `seed must be an integer, got ${seed}`, seed);
  const dims = resolveSize(size);
  const scene = generateScene(dims, createPrng(seed, `world:scene:${split}:${index}`));
  const image = applyShifts(scene.image, dims, resolved.shifts, seed, `world:shift:${resolved.name}:${split}:${index}`);
  return { ...dims, image, labels: scene.labels, domain: resolved.name, split, index };
}

/** The first `count` samples of one domain and split. */
export function sceneSamples(domain: string | WorldDomain, split: WorldSplit, count: number, options: SceneSampleOptions = {}): SceneSample[] {
  return Array.from({ length: count }, (_, index) => sceneSample(domain, split, index, options));
}
