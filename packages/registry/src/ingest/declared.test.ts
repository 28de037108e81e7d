import { describe, expect, it } from "vitest";
import { CONFIG } from "../testing/fixtures.js";
import { declaredDifferences } from "./register.js";

describe("declaredDifferences (an upload of weights already registered under the name)", () => {
  const registered = { config: CONFIG, centroid: Float32Array.of(1, 2), sampleCount: null, spread: 0.25 };

  it("is empty for the same adapter declared alike, or with its spread left out", () => {
    expect(declaredDifferences(registered, { config: CONFIG, centroid: Float32Array.of(1, 2), sampleCount: null, spread: 0.25 })).toEqual([]);
    expect(declaredDifferences(registered, { config: CONFIG, centroid: Float32Array.of(1, 2), sampleCount: null, spread: null })).toEqual([]);
  });

  it("names each field declared differently: centroid, sample count, a different spread", () => {
    expect(declaredDifferences(registered, { config: CONFIG, centroid: Float32Array.of(1, 3), sampleCount: 4, spread: 0.5 })).toEqual(["centroid", "sampleCount", "spread"]);
    expect(declaredDifferences({ ...registered, spread: null }, { config: CONFIG, centroid: Float32Array.of(1, 2), sampleCount: null, spread: 0.5 })).toEqual(["spread"]);
  });
});
