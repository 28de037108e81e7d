import { createPrng, isSemlaError } from "@semla/core";
import { describe, expect, it } from "vitest";
import { generateScene } from "./scene.js";
import { applyShift, applyShifts, SHIFT_KINDS, type Shift } from "./shifts.js";
import { channelMeans, channelStds, clippedFraction, contrast, meanBrightness, neighbourDifference } from "./stats.js";

const size = { height: 64, width: 64 };
const clean = generateScene(size, createPrng(7, "shift-tests"));
const shifted = (shift: Shift, seed = 1) => applyShift(clean.image, size, shift, createPrng(seed, "s"));
const pixelChanged = (out: Uint8Array, p: number) => [0, 1, 2].some((c) => out[p * 3 + c] !== clean.image[p * 3 + c]);
const luminance = (img: Uint8Array, p: number) => img[p * 3]! + img[p * 3 + 1]! + img[p * 3 + 2]!;

const ALL: Shift[] = [
  { kind: "fog", strength: 1 },
  { kind: "rain", strength: 1 },
  { kind: "snow", strength: 1 },
  { kind: "night", strength: 1 },
  { kind: "overexposure", strength: 1 },
  { kind: "colour-cast", strength: 1, tint: [1, 0, -1] },
  { kind: "low-contrast", strength: 1 },
  { kind: "blur", strength: 1 },
  { kind: "noise", strength: 1 },
];

describe("visual shifts", () => {
  it("cover every kind, in the fixed composition order weather → light → optics → sensor", () => {
    expect(SHIFT_KINDS).toEqual(["fog", "rain", "snow", "night", "overexposure", "colour-cast", "low-contrast", "blur", "noise"]);
    expect(ALL.map((s) => s.kind)).toEqual([...SHIFT_KINDS]);
  });

  it.each(ALL)("$kind is deterministic, leaves its input untouched, changes the image, keeps its shape", (shift) => {
    const before = clean.image.slice();
    const out = shifted(shift);
    expect(clean.image).toEqual(before);
    expect(out).toEqual(shifted(shift));
    expect(out.length).toBe(clean.image.length);
    expect(out).not.toEqual(clean.image);
  });

  it.each(ALL)("$kind at strength 0 is the identity", (shift) => {
    expect(shifted({ ...shift, strength: 0 })).toEqual(clean.image);
  });

  it("night lowers mean brightness to under 30% at strength 1 (and less at lower strength)", () => {
    expect(meanBrightness(shifted({ kind: "night", strength: 1 }))).toBeLessThan(0.3 * meanBrightness(clean.image));
    expect(meanBrightness(shifted({ kind: "night", strength: 0.5 }))).toBeGreaterThan(meanBrightness(shifted({ kind: "night", strength: 1 })));
  });

  it("fog raises brightness by at least 20 levels and cuts contrast (std) by at least 40%", () => {
    const out = shifted({ kind: "fog", strength: 1 });
    expect(meanBrightness(out)).toBeGreaterThan(meanBrightness(clean.image) + 20);
    expect(contrast(out)).toBeLessThan(0.6 * contrast(clean.image));
  });

  it("over-exposure clips at least 30% of channel values at 255 (the clean scene clips under 2%)", () => {
    expect(clippedFraction(clean.image)).toBeLessThan(0.02);
    expect(clippedFraction(shifted({ kind: "overexposure", strength: 1 }))).toBeGreaterThan(0.3);
  });

  it.each([[[1, 0, -1]], [[-1, 0.5, 1]], [[0, -1, 0]]] as const)("colour cast %j moves each channel mean in its tint's direction by over 20 levels", (tint) => {
    const before = channelMeans(clean.image);
    const after = channelMeans(shifted({ kind: "colour-cast", strength: 1, tint }));
    tint.forEach((t, c) => {
      const delta = after[c]! - before[c]!;
      if (t === 0) expect(delta).toBe(0);
      else expect(delta * Math.sign(t)).toBeGreaterThan(20 * Math.abs(t));
    });
  });

  it("blur at least halves the mean absolute difference between neighbouring pixels; noise at least doubles it", () => {
    const base = neighbourDifference(clean.image, size);
    expect(neighbourDifference(shifted({ kind: "blur", strength: 1 }), size)).toBeLessThan(0.5 * base);
    expect(neighbourDifference(shifted({ kind: "noise", strength: 1 }), size)).toBeGreaterThan(2 * base);
  });

  it("low contrast cuts every channel's std by 70% at strength 1 while keeping channel means within 1 level", () => {
    const out = shifted({ kind: "low-contrast", strength: 1 });
    channelStds(out).forEach((sd, c) => {
      expect(sd).toBeLessThan(0.31 * channelStds(clean.image)[c]!);
    });
    expect(contrast(out)).toBeLessThan(contrast(clean.image));
    channelMeans(out).forEach((m, c) => {
      expect(Math.abs(m - channelMeans(clean.image)[c]!)).toBeLessThan(1);
    });
  });

  it("rain adds bright, near-vertical streaks: changed pixels only brighten and continue downwards far more than sideways", () => {
    const out = shifted({ kind: "rain", strength: 1 });
    let changed = 0;
    let below = 0;
    let beside = 0;
    for (let y = 0; y < 63; y++) {
      for (let x = 0; x < 63; x++) {
        const p = y * 64 + x;
        if (!pixelChanged(out, p)) continue;
        changed++;
        expect(luminance(out, p)).toBeGreaterThan(luminance(clean.image, p));
        if (pixelChanged(out, p + 64)) below++;
        if (pixelChanged(out, p + 1)) beside++;
      }
    }
    expect(changed).toBeGreaterThan(0.1 * 64 * 64);
    expect(below / changed).toBeGreaterThan(0.75);
    expect(beside / changed).toBeLessThan(0.3);
  });

  it("snow adds sparse bright specks: 2–10% of pixels, each brightened, on average by over 60 summed levels", () => {
    const out = shifted({ kind: "snow", strength: 1 });
    let changed = 0;
    let gain = 0;
    for (let p = 0; p < 64 * 64; p++) {
      if (!pixelChanged(out, p)) continue;
      changed++;
      expect(luminance(out, p)).toBeGreaterThan(luminance(clean.image, p));
      gain += luminance(out, p) - luminance(clean.image, p);
    }
    expect(changed / (64 * 64)).toBeGreaterThan(0.02);
    expect(changed / (64 * 64)).toBeLessThan(0.1);
    expect(gain / changed).toBeGreaterThan(60);
  });

  it("random shifts draw from their stream: another seed gives other raindrops, specks and noise", () => {
    for (const kind of ["rain", "snow", "noise"] as const) expect(shifted({ kind, strength: 1 }, 2)).not.toEqual(shifted({ kind, strength: 1 }, 1));
  });

  it("rejects an out-of-range strength, an unknown kind and a bad tint with world.invalid-shift", () => {
    const bad = [
      { kind: "fog", strength: 1.5 },
      { kind: "fog", strength: Number.NaN },
      { kind: "hail", strength: 0.5 },
      { kind: "colour-cast", strength: 0.5, tint: [2, 0, 0] },
    ] as unknown as Shift[];
    for (const shift of bad) {
      try {
        shifted(shift);
        expect.unreachable();
      } catch (error) {
        expect(isSemlaError(error) && error.code).toBe("world.invalid-shift");
      }
    }
  });
});

describe("applyShifts", () => {
  const fogNight: Shift[] = [
    { kind: "fog", strength: 0.7 },
    { kind: "night", strength: 0.7 },
  ];

  it("composes in the fixed order whatever the listed order", () => {
    const listed = applyShifts(clean.image, size, fogNight, 3, "d");
    expect(applyShifts(clean.image, size, [...fogNight].reverse(), 3, "d")).toEqual(listed);
    const byHand = applyShift(applyShift(clean.image, size, fogNight[0]!, createPrng(0)), size, fogNight[1]!, createPrng(0));
    expect(listed).toEqual(byHand);
  });

  it("fog then night is not night then fog: fogged night stays brighter than plain night", () => {
    const night = applyShifts(clean.image, size, [fogNight[1]!], 3, "d");
    expect(meanBrightness(applyShifts(clean.image, size, fogNight, 3, "d"))).toBeGreaterThan(meanBrightness(night) + 10);
  });

  it("keeps each shift's randomness fixed when others are added: rain under night has the same streak pixels as rain alone", () => {
    const rain: Shift = { kind: "rain", strength: 1 };
    const alone = applyShifts(clean.image, size, [rain], 5, "d");
    const withNight = applyShifts(clean.image, size, [rain, { kind: "night", strength: 1 }], 5, "d");
    const nightOnly = applyShifts(clean.image, size, [{ kind: "night", strength: 1 }], 5, "d");
    for (let p = 0; p < 64 * 64; p++) {
      const streak = pixelChanged(alone, p);
      const differsFromNight = [0, 1, 2].some((c) => withNight[p * 3 + c] !== nightOnly[p * 3 + c]);
      if (!streak) expect(differsFromNight).toBe(false);
    }
  });

  it("with no shifts returns a copy of the clean image", () => {
    const out = applyShifts(clean.image, size, [], 0);
    expect(out).toEqual(clean.image);
    expect(out).not.toBe(clean.image);
  });
});
