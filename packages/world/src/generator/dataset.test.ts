import { isSemlaError } from "@semla/core";
import { describe, expect, it } from "vitest";
import { NUM_WORLD_CLASSES } from "./classes.js";
import { type SceneSample, sceneSample, sceneSamples } from "./dataset.js";
import { WORLD_DOMAIN_NAMES, WORLD_DOMAINS, worldDomain } from "./domains.js";
import { channelMeans, contrast, meanBrightness, neighbourDifference } from "./stats.js";

const size = { height: 64, width: 64 };
/** Checksums of clean train 0, fog+night train 0 image and its labels at seed 0. */
const PINNED = [3938877639, 3143690208, 3105125421];

/** FNV-1a over bytes: pins exact output so unintended changes to generation show up. */
function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
    expect.unreachable();
  } catch (error) {
    expect(isSemlaError(error) && error.code).toBe(code);
  }
}

describe("world domains", () => {
  it("are 17 named domains: clean, 10 single shifts and 6 combinations", () => {
    expect(WORLD_DOMAIN_NAMES).toEqual([
      "clean",
      "fog",
      "night",
      "rain",
      "snow",
      "overexposure",
      "warm-cast",
      "cool-cast",
      "blur",
      "noise",
      "low-contrast",
      "fog+night",
      "rain+night",
      "fog+snow",
      "night+noise",
      "blur+noise",
      "rain+blur",
    ]);
    expect(WORLD_DOMAINS.filter((d) => d.shifts.length >= 2).length).toBe(6);
    expect(new Set(WORLD_DOMAIN_NAMES).size).toBe(WORLD_DOMAINS.length);
  });

  it("name combinations by their shift kinds in composition order", () => {
    for (const d of WORLD_DOMAINS.filter((d) => d.shifts.length >= 2)) expect(d.name).toBe(d.shifts.map((s) => s.kind).join("+"));
  });

  it("rejects an unknown name with world.unknown-domain", () => {
    expectCode(() => worldDomain("hail"), "world.unknown-domain");
    expectCode(() => sceneSample("hail", "train", 0), "world.unknown-domain");
  });
});

describe("sceneSample", () => {
  it("returns image, labels and identity; 64×64 by default", () => {
    const s = sceneSample("fog", "test", 2);
    expect(s).toMatchObject({ domain: "fog", split: "test", index: 2, height: 64, width: 64 });
    expect(s.image.length).toBe(64 * 64 * 3);
    expect(s.labels.length).toBe(64 * 64);
    expect(Math.max(...s.labels)).toBeLessThan(NUM_WORLD_CLASSES);
  });

  it("takes a square side or height and width", () => {
    expect(sceneSample("clean", "train", 0, { size: 32 }).image.length).toBe(32 * 32 * 3);
    const s = sceneSample("clean", "train", 0, { size: { height: 24, width: 40 } });
    expect([s.height, s.width, s.labels.length]).toEqual([24, 40, 960]);
  });

  it("is byte-identical for the same (domain, split, index, seed), pinned for seed 0", () => {
    const a = sceneSample("fog+night", "train", 0);
    const b = sceneSample("fog+night", "train", 0);
    expect(a.image).toEqual(b.image);
    expect(a.labels).toEqual(b.labels);
    expect([checksum(sceneSample("clean", "train", 0).image), checksum(a.image), checksum(a.labels)]).toEqual(PINNED);
  });

  it("gives different scenes for different indices and different seeds", () => {
    expect(sceneSample("clean", "train", 0).labels).not.toEqual(sceneSample("clean", "train", 1).labels);
    expect(sceneSample("clean", "train", 0, { seed: 1 }).labels).not.toEqual(sceneSample("clean", "train", 0).labels);
  });

  it("draws train and test of one domain from disjoint streams: no test scene repeats any of the first 32 train scenes", () => {
    const train = new Set(sceneSamples("rain", "train", 32).map((s) => checksum(s.labels)));
    for (const s of sceneSamples("rain", "test", 32)) expect(train.has(checksum(s.labels))).toBe(false);
  });

  it("keeps the label map of a scene identical under every domain (shifts are photometric only)", () => {
    for (let index = 0; index < 3; index++) {
      const labels = sceneSample("clean", "test", index).labels;
      for (const name of WORLD_DOMAIN_NAMES) expect(sceneSample(name, "test", index).labels).toEqual(labels);
    }
  });

  it("renders every domain differently from every other for the same scene", () => {
    const images = new Set(WORLD_DOMAIN_NAMES.map((name) => checksum(sceneSample(name, "train", 0).image)));
    expect(images.size).toBe(WORLD_DOMAINS.length);
  });

  it("rejects bad split, index, seed and size with world.invalid-options", () => {
    expectCode(() => sceneSample("clean", "val" as "train", 0), "world.invalid-options");
    expectCode(() => sceneSample("clean", "train", -1), "world.invalid-options");
    expectCode(() => sceneSample("clean", "train", 1.5), "world.invalid-options");
    expectCode(() => sceneSample("clean", "train", 0, { seed: 0.5 }), "world.invalid-options");
    expectCode(() => sceneSample("clean", "train", 0, { size: 4 }), "world.invalid-options");
    expectCode(() => sceneSample("clean", "train", 0, { size: { height: 64, width: 4096 } }), "world.invalid-options");
  });

  it("produces a 64×64 sample of any domain in well under 5 ms", () => {
    sceneSample("fog+night", "train", 0);
    const start = performance.now();
    for (let i = 0; i < 4; i++) for (const d of WORLD_DOMAINS) sceneSample(d, "train", i);
    expect((performance.now() - start) / (4 * WORLD_DOMAINS.length)).toBeLessThan(5);
  });
});

describe("domains separate in image statistics over 8 train images each", () => {
  const stats: Record<string, (s: SceneSample) => number> = {
    brightness: (s) => meanBrightness(s.image),
    contrast: (s) => contrast(s.image),
    sharpness: (s) => neighbourDifference(s.image, size),
    warmth: (s) => channelMeans(s.image)[0] - channelMeans(s.image)[2],
  };

  it.each([
    ["fog", "clean", "contrast"],
    ["night", "fog", "brightness"],
    ["night", "fog+night", "brightness"],
    ["clean", "overexposure", "brightness"],
    ["low-contrast", "clean", "contrast"],
    ["cool-cast", "warm-cast", "warmth"],
    ["clean", "warm-cast", "warmth"],
    ["blur", "clean", "sharpness"],
    ["clean", "noise", "sharpness"],
    ["clean", "rain", "sharpness"],
    ["night", "night+noise", "sharpness"],
    ["blur", "blur+noise", "sharpness"],
  ] as const)("%s < %s in %s, with no overlap", (low, high, stat) => {
    const f = stats[stat]!;
    const lows = sceneSamples(low, "train", 8).map(f);
    const highs = sceneSamples(high, "train", 8).map(f);
    expect(Math.max(...lows)).toBeLessThan(Math.min(...highs));
  });
});
