import { fusion } from "@semla/core";
import { describe, expect, it } from "vitest";
import { fusionFromFlags } from "./inference.js";

describe("fusion settings from flags", () => {
  it("give the request's options, parsed by core's schema as the API parses them", () => {
    expect(fusionFromFlags({})).toBeUndefined();
    expect(fusionFromFlags({ combination: "magnitude_prune" })).toEqual({ combination: "magnitude_prune", density: 0.5 });
    expect(fusionFromFlags({ combination: "svd", rank: 4, clamp: 0.99 })).toEqual({ combination: "svd", rank: 4, clamp: 0.99 });
    const dare = fusionFromFlags({ combination: "dare_ties", density: 0.3, seed: 11, majoritySign: "frequency" });
    expect(fusion.parseFusionOptions(dare!)).toEqual({ combination: "dare_ties", density: 0.3, seed: 11, majoritySign: "frequency" });
  });

  it("refuse a setting for a combination that does not use it, naming those that do", () => {
    expect(() => fusionFromFlags({ rank: 4 })).toThrow("--rank is for --combination svd");
    expect(() => fusionFromFlags({ combination: "ties", seed: 3 })).toThrow("--seed is for --combination dare_linear | dare_ties, not ties");
    expect(() => fusionFromFlags({ combination: "linear", density: 0.5 })).toThrow("--density is for --combination ties | dare_linear | dare_ties | magnitude_prune, not linear");
  });
});
