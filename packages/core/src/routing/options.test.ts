import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits/limits.js";
import { routingErrorFrom } from "../testing/routing.js";
import { parseRoutingOptions, RoutingOptionsSchema } from "./options.js";

describe("RoutingOptionsSchema", () => {
  it("defaults to the SemLA reference: k 5, temperature 0.05, euclidean, nothing excluded", () => {
    expect(RoutingOptionsSchema.parse({})).toEqual({ k: 5, temperature: 0.05, metric: "euclidean", exclude: [] });
  });

  it("keeps given values", () => {
    const options = { k: 2, temperature: 1, metric: "cosine" as const, exclude: ["alps"] };
    expect(parseRoutingOptions(options)).toEqual(options);
  });

  it("is idempotent: parsed options parse to themselves", () => {
    const once = parseRoutingOptions({ k: 3 });
    expect(parseRoutingOptions(once)).toEqual(once);
  });
});

describe("parseRoutingOptions failures", () => {
  it.each([
    ["k = 0", { k: 0 }, "k"],
    ["k = 2.5", { k: 2.5 }, "k"],
    ["temperature = 0", { temperature: 0 }, "temperature"],
    ["temperature < 0", { temperature: -1 }, "temperature"],
    ["temperature = Infinity", { temperature: Infinity }, "temperature"],
    ["temperature = NaN", { temperature: Number.NaN }, "temperature"],
  ])("rejects %s with routing.invalid-options naming the field", (_name, input, field) => {
    const error = routingErrorFrom(() => parseRoutingOptions(input));
    expect(error.code).toBe("routing.invalid-options");
    expect(error.message).toMatch(new RegExp(`^invalid routing options: ${field}: `));
  });

  it.each([
    ["k", { k: LIMITS.k }, { k: LIMITS.k + 1 }, "k"],
    ["temperature, above", { temperature: LIMITS.temperature.max }, { temperature: LIMITS.temperature.max * 1.001 }, "temperature"],
    ["temperature, below", { temperature: LIMITS.temperature.min }, { temperature: LIMITS.temperature.min * 0.999 }, "temperature"],
    ["exclude, entries", { exclude: Array.from({ length: LIMITS.exclude }, (_, i) => `a${i}`) }, { exclude: Array.from({ length: LIMITS.exclude + 1 }, (_, i) => `a${i}`) }, "exclude"],
    ["exclude, entry length", { exclude: ["a".repeat(LIMITS.adapterName)] }, { exclude: ["a".repeat(LIMITS.adapterName + 1)] }, "exclude.0"],
  ])("bounds %s by LIMITS: the limit is accepted, past it refused naming the field", (_name, atLimit, overLimit, field) => {
    expect(() => parseRoutingOptions(atLimit)).not.toThrow();
    const error = routingErrorFrom(() => parseRoutingOptions(overLimit));
    expect(error.code).toBe("routing.invalid-options");
    expect(error.message).toMatch(new RegExp(`^invalid routing options: ${field}: `));
  });

  it("rejects an unknown metric", () => {
    const error = routingErrorFrom(() => parseRoutingOptions({ metric: "manhattan" } as unknown as Parameters<typeof parseRoutingOptions>[0]));
    expect(error.code).toBe("routing.invalid-options");
    expect(error.message).toMatch(/^invalid routing options: metric: /);
  });

  it("rejects a misspelt key instead of silently using the default", () => {
    const error = routingErrorFrom(() => parseRoutingOptions({ topK: 3 } as unknown as Parameters<typeof parseRoutingOptions>[0]));
    expect(error.code).toBe("routing.invalid-options");
    expect(error.message).toContain("topK");
  });
});
