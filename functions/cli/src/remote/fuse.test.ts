import { describe, expect, it } from "vitest";
import { parseAdapterWeights } from "./fuse.js";

describe("parseAdapterWeights (--adapters)", () => {
  it("reads NAME:WEIGHT pairs, ids and names alike, negative weights too, ignoring spaces and empty items", () => {
    expect(parseAdapterWeights("fog:0.7, 6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f:0.3,,night:-0.5")).toEqual([
      { adapter: "fog", weight: 0.7 },
      { adapter: "6f1c1a2e-6a0e-4b7e-9d43-1c2b3a4d5e6f", weight: 0.3 },
      { adapter: "night", weight: -0.5 },
    ]);
  });

  it.each([
    ["fog", 'item "fog" is not NAME:WEIGHT'],
    ["fog:", 'item "fog:" is not NAME:WEIGHT'],
    [":0.5", 'item ":0.5" is not NAME:WEIGHT'],
    ["fog:heavy", 'item "fog:heavy" is not NAME:WEIGHT'],
    [",", "needs NAME:WEIGHT pairs"],
  ])("refuses %j with cli.invalid-adapters", (text, message) => {
    expect(() => parseAdapterWeights(text)).toThrow(expect.objectContaining({ code: "cli.invalid-adapters", message: expect.stringContaining(message) }));
  });

  it("refuses more adapters than fuse at once (LIMITS.k = 64)", () => {
    const many = Array.from({ length: 65 }, (_, i) => `a${i}:1`).join(",");
    expect(() => parseAdapterWeights(many)).toThrow("--adapters names 65 adapters; at most 64 fuse at once");
  });
});
