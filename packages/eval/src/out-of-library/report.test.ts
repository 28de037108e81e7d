import { describe, expect, it } from "vitest";
import type { CoverageExperimentResult, CoverageGroupResult, CoverageSide } from "./experiment.js";
import { coverageMarkdown, coverageMarkdownTable, flaggedLine } from "./report.js";

const side = (images: number, flagged: number, fuse: number, fallback: number, zeroshot: number, flaggedMiou: CoverageSide["flaggedMiou"]): CoverageSide => ({
  domains: 1,
  images,
  flagged,
  flaggedRate: flagged / images,
  miou: { fuse, fallback, zeroshot },
  flaggedMiou,
});

const group = (name: string, heldOut: string[], held: CoverageSide, inLibrary: CoverageSide): CoverageGroupResult => ({
  group: name,
  heldOut,
  library: {
    id: `lib-${name}`,
    name: `w without ${name}`,
    adapters: 15,
    calibration: { version: 1, adapters: 15, withSpread: 15, measured: 15, basis: "samples", margin: 1.25, spacing: { median: 0.1, max: 0.3 }, spreadMedian: 0.2, defaultRadius: 0.25, generation: 15 },
  },
  domains: [],
  heldOutSide: held,
  inLibrary,
  images: [],
});

const result: CoverageExperimentResult = {
  groups: [
    group("a", ["a"], side(6, 6, 0.304, 0.2856, 0.2856, { fuse: 0.304, fallback: 0.2856, zeroshot: 0.2856 }), side(90, 0, 0.5, 0.5, 0.4, null)),
    group("b c", ["b", "c"], side(12, 0, 0.4, 0.4, 0.45, null), side(84, 3, 0.5, 0.49, 0.4, { fuse: 0.6, fallback: 0.3, zeroshot: 0.3 })),
  ],
};

describe("the out-of-library report", () => {
  it("tabulates each group's detection and false-positive shares and its mIoU (%) per policy", () => {
    expect(coverageMarkdownTable(result)).toBe(
      [
        "| held out | adapters left | held-out images flagged | fuse | zeroshot policy | base model | in-library images flagged | in-library fuse | in-library zeroshot policy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        "| a (a) | 15 | 6/6 (100%) | 30.4 | 28.6 | 28.6 | 0/90 (0%) | 50.0 | 50.0 |",
        "| b c (b, c) | 15 | 0/12 (0%) | 40.0 | 40.0 | 45.0 | 3/84 (4%) | 50.0 | 49.0 |",
      ].join("\n"),
    );
  });

  it("names the flagged images' own mIoU, or that nothing was flagged", () => {
    expect(flaggedLine(result)).toBe("a: 6 flagged held-out images: fuse 30.4, base model 28.6. b c: 3 flagged in-library images: fuse 60.0, base model 30.0");
    const none = { groups: [group("d", ["d"], side(6, 0, 0.1, 0.1, 0.1, null), side(6, 0, 0.1, 0.1, 0.1, null))] };
    expect(flaggedLine(none)).toBe("d: nothing flagged");
  });

  it("closes the block with each library's calibration basis and the run's settings", () => {
    const lines = coverageMarkdown(result, { world: "w", seed: 7 }).split("\n");
    expect(lines.slice(-3)).toEqual(["calibration basis: a: samples, b c: samples", "world: w", "seed: 7"]);
  });
});
