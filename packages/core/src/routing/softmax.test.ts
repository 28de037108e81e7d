import { describe, expect, it } from "vitest";
import { routingErrorFrom } from "../testing/routing.js";
import { softmaxWeights } from "./softmax.js";

describe("softmaxWeights", () => {
  it("is exp(s/T) normalised", () => {
    const z = Math.exp(1) + Math.exp(0.5) + Math.exp(0.2);
    const weights = softmaxWeights([1, 0.5, 0.2], 1);
    expect(weights[0]).toBeCloseTo(Math.exp(1) / z, 15);
    expect(weights[1]).toBeCloseTo(Math.exp(0.5) / z, 15);
    expect(weights[2]).toBeCloseTo(Math.exp(0.2) / z, 15);
  });

  it("gives equal similarities bit-identical weights", () => {
    expect(softmaxWeights([0.3, 0.3, 0.3, 0.3], 0.05)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("stays finite where exp(s/T) overflows: s = 1000 and 999.95 at T = 0.05", () => {
    expect(Math.exp(1000 / 0.05)).toBe(Infinity); // the naive form would give Infinity/Infinity = NaN
    const [w1, w2] = softmaxWeights([1000, 999.95], 0.05);
    // (999.95 − 1000) / 0.05 = −1, so the weights are 1/(1+e⁻¹) and e⁻¹/(1+e⁻¹).
    expect(w1).toBeCloseTo(1 / (1 + Math.exp(-1)), 10);
    expect(w2).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 10);
  });

  it("gives +Infinity similarities all the weight, shared equally, and the rest exactly 0", () => {
    expect(softmaxWeights([2, Infinity, 1], 0.05)).toEqual([0, 1, 0]);
    expect(softmaxWeights([Infinity, 3, Infinity], 1)).toEqual([0.5, 0, 0.5]);
  });

  it("handles negative similarities (cosine)", () => {
    const [w1, w2] = softmaxWeights([-1, 1], 1);
    expect(w1).toBeCloseTo(Math.exp(-1) / (Math.exp(-1) + Math.exp(1)), 15);
    expect(w2).toBeCloseTo(Math.exp(1) / (Math.exp(-1) + Math.exp(1)), 15);
  });

  it("returns [] for no similarities", () => {
    expect(softmaxWeights([], 0.05)).toEqual([]);
  });

  it("rejects NaN or −Infinity similarities and a non-positive temperature", () => {
    expect(routingErrorFrom(() => softmaxWeights([1, Number.NaN], 1)).message).toBe("similarity 1 is NaN");
    expect(routingErrorFrom(() => softmaxWeights([-Infinity], 1)).code).toBe("routing.non-finite");
    expect(routingErrorFrom(() => softmaxWeights([1], 0)).code).toBe("routing.invalid-options");
    expect(routingErrorFrom(() => softmaxWeights([1], -0.05)).code).toBe("routing.invalid-options");
  });
});
