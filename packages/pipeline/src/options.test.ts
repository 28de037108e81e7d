import { LIMITS } from "@semla/core";
import { describe, expect, it } from "vitest";
import { PipelineError } from "./errors.js";
import { parseOptions, SegmentOptionsSchema } from "./options.js";

/** The zod issues a refusal lists, as path and code (what the API's 400 carries in details.issues). */
function refusedAt(input: unknown): { path: string; code: string }[] {
  try {
    parseOptions(SegmentOptionsSchema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe("pipeline.invalid-options");
    return ((error as PipelineError).details.issues as { path: PropertyKey[]; code: string }[]).map((i) => ({ path: i.path.map(String).join("."), code: i.code }));
  }
  return [];
}

const names = (count: number, length = 8) => Array.from({ length: count }, (_, i) => `${i}`.padStart(length, "a"));

describe("segment options: every number a request controls is bounded by LIMITS", () => {
  it.each([
    ["k", { k: LIMITS.k }, { k: LIMITS.k + 1 }, "k", "too_big"],
    ["svd rank", { fusion: { combination: "svd", rank: LIMITS.svdRank } }, { fusion: { combination: "svd", rank: LIMITS.svdRank + 1 } }, "fusion.rank", "too_big"],
    ["svd rank 300000 (the probe's)", { fusion: { combination: "svd", rank: 1 } }, { fusion: { combination: "svd", rank: 300_000 } }, "fusion.rank", "too_big"],
    ["density, above", { fusion: { combination: "ties", density: 1 } }, { fusion: { combination: "ties", density: 1.0001 } }, "fusion.density", "too_big"],
    ["density, below", { fusion: { combination: "dare_linear", density: 0 } }, { fusion: { combination: "dare_linear", density: -0.0001 } }, "fusion.density", "too_small"],
    ["temperature, above", { temperature: LIMITS.temperature.max }, { temperature: LIMITS.temperature.max * 1.001 }, "temperature", "too_big"],
    ["temperature, below", { temperature: LIMITS.temperature.min }, { temperature: LIMITS.temperature.min * 0.999 }, "temperature", "too_small"],
    ["efSearch", { efSearch: LIMITS.efSearch }, { efSearch: LIMITS.efSearch + 1 }, "efSearch", "too_big"],
    ["exclude, entries", { exclude: names(LIMITS.exclude) }, { exclude: names(LIMITS.exclude + 1) }, "exclude", "too_big"],
    ["exclude, entry length", { exclude: names(1, LIMITS.adapterName) }, { exclude: names(1, LIMITS.adapterName + 1) }, "exclude.0", "too_big"],
    ["adapter name", { mode: "adapter", adapter: "a".repeat(LIMITS.adapterName) }, { mode: "adapter", adapter: "a".repeat(LIMITS.adapterName + 1) }, "adapter", "too_big"],
  ])("%s: the limit is accepted, one past it refused at its path", (_, atLimit, overLimit, path, code) => {
    expect(refusedAt(atLimit)).toEqual([]);
    expect(refusedAt(overLimit)).toEqual([{ path, code }]);
  });

  it("refuses a non-finite temperature", () => {
    for (const temperature of [Number.POSITIVE_INFINITY, Number.NaN, 0, -1]) expect(refusedAt({ temperature })).toHaveLength(1);
  });
});
