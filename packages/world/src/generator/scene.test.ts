import { createPrng } from "@semla/core";
import { describe, expect, it } from "vitest";
import { CLASS, NUM_WORLD_CLASSES, WORLD_CLASSES } from "./classes.js";
import { generateScene } from "./scene.js";

const size = { height: 64, width: 64 };
const scene = (index: number, seed = 0) => generateScene(size, createPrng(seed, `scene:${index}`));

describe("world classes", () => {
  it("are the 8 named classes, indexed by position", () => {
    expect(WORLD_CLASSES.map((c) => c.name)).toEqual(["sky", "road", "building", "vegetation", "car", "person", "water", "snow-covered ground"]);
    WORLD_CLASSES.forEach((c, i) => {
      expect(c.index).toBe(i);
    });
    expect(NUM_WORLD_CLASSES).toBe(8);
    expect(CLASS).toEqual({ sky: 0, road: 1, building: 2, vegetation: 3, car: 4, person: 5, water: 6, snowGround: 7 });
  });
});

describe("generateScene", () => {
  it("returns an H×W×3 RGB image and an H×W label map with values in range", () => {
    const s = generateScene({ height: 48, width: 80 }, createPrng(1, "x"));
    expect(s.image).toBeInstanceOf(Uint8Array);
    expect(s.image.length).toBe(48 * 80 * 3);
    expect(s.labels.length).toBe(48 * 80);
    expect(Math.max(...s.labels)).toBeLessThan(NUM_WORLD_CLASSES);
  });

  it("is byte-identical for the same stream and differs between streams", () => {
    expect(scene(3).image).toEqual(scene(3).image);
    expect(scene(3).labels).toEqual(scene(3).labels);
    expect(scene(3).labels).not.toEqual(scene(4).labels);
    expect(scene(3, 1).image).not.toEqual(scene(3).image);
  });

  it("shows every class within 8 scenes, and at least 5 classes in each scene", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const present = new Set(scene(i).labels);
      expect(present.size).toBeGreaterThanOrEqual(5);
      for (const c of present) seen.add(c);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("puts sky at the top row and ground (never sky) at the bottom row", () => {
    for (let i = 0; i < 8; i++) {
      const { labels } = scene(i);
      expect(labels.subarray(0, 64).includes(CLASS.sky)).toBe(true);
      expect(labels.subarray(63 * 64).includes(CLASS.sky)).toBe(false);
    }
  });

  it("renders each class in its own colour: class-mean colours are at least 40 levels apart", () => {
    const sums = Array.from({ length: 8 }, () => [0, 0, 0, 0]);
    for (let i = 0; i < 8; i++) {
      const { image, labels } = scene(i);
      labels.forEach((c, p) => {
        const s = sums[c]!;
        s[0]! += image[p * 3]!;
        s[1]! += image[p * 3 + 1]!;
        s[2]! += image[p * 3 + 2]!;
        s[3]! += 1;
      });
    }
    const means = sums.map(([r, g, b, n]) => [r! / n!, g! / n!, b! / n!]);
    for (let a = 0; a < 8; a++) {
      for (let b = a + 1; b < 8; b++) expect(Math.hypot(...means[a]!.map((v, k) => v - means[b]![k]!))).toBeGreaterThan(40);
    }
  });

  it("generates a 64×64 scene in well under 5 ms", () => {
    scene(0);
    const start = performance.now();
    for (let i = 0; i < 50; i++) scene(i);
    expect((performance.now() - start) / 50).toBeLessThan(5);
  });
});
