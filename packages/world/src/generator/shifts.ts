/**
 * Visual domain shifts as pure functions of a clean RGB image (H×W×3 row-major). All are photometric
 * or pixel-local overlays, never geometric, so a scene's label map stays valid under every shift.
 * Each returns a new image (the input is not modified); the ones with randomness (rain, snow, noise)
 * take a Prng so a domain is deterministic from its seed.
 */
import { createPrng, type Prng, SemlaError } from "@semla/core";
import type { Rgb } from "./classes.js";
import type { WorldImageSize } from "./scene.js";

/**
 * Fixed composition order, physically motivated: weather in the scene (fog, rain, snow), then
 * illumination and exposure (night, over-exposure, colour cast), then optics (low contrast, blur),
 * then the sensor (noise). A combination is applied in this order whatever order it is listed in.
 */
export const SHIFT_KINDS = ["fog", "rain", "snow", "night", "overexposure", "colour-cast", "low-contrast", "blur", "noise"] as const;
export type ShiftKind = (typeof SHIFT_KINDS)[number];

/** A shift and its strength in [0, 1]; 0 leaves the image unchanged. A colour cast also has a tint direction per channel in [-1, 1]. */
export type Shift = { readonly kind: Exclude<ShiftKind, "colour-cast">; readonly strength: number } | { readonly kind: "colour-cast"; readonly strength: number; readonly tint: Rgb };

const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Maps each channel value through a per-channel 256-entry table: fast for pointwise shifts. */
function pointwise(image: Uint8Array, f: (value: number, channel: number) => number): Uint8Array {
  const tables = [0, 1, 2].map((c) => Uint8Array.from({ length: 256 }, (_, v) => clampByte(f(v, c))));
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = tables[i % 3]![image[i]!]!;
  return out;
}

/** Fog: blend towards a pale grey airlight, denser towards the top (farther away): brighter, flatter. */
export function fog(image: Uint8Array, { height, width }: WorldImageSize, strength: number): Uint8Array {
  const airlight = [205, 208, 212];
  const out = new Uint8Array(image.length);
  for (let y = 0; y < height; y++) {
    const a = strength * (0.8 - (0.3 * y) / Math.max(1, height - 1));
    for (let i = y * width * 3; i < (y + 1) * width * 3; i++) out[i] = clampByte((1 - a) * image[i]! + a * airlight[i % 3]!);
  }
  return out;
}

/** Night: lower gain, a steeper gamma (shadows crushed) and a blue-ish tint from artificial/moon light. */
export function night(image: Uint8Array, strength: number): Uint8Array {
  const gain = 1 - 0.8 * strength;
  const gamma = 1 + 0.8 * strength;
  const tint = [1 - 0.15 * strength, 1 - 0.08 * strength, 1];
  return pointwise(image, (v, c) => 255 * (v / 255) ** gamma * gain * tint[c]!);
}

/** Over-exposure: gain and offset that push the bright half of the image into saturation at 255. */
export function overexposure(image: Uint8Array, strength: number): Uint8Array {
  return pointwise(image, (v) => v * (1 + 1.5 * strength) + 60 * strength);
}

/** Colour cast: add up to 70 levels per channel along the tint direction (white balance gone wrong). */
export function colourCast(image: Uint8Array, strength: number, tint: Rgb): Uint8Array {
  return pointwise(image, (v, c) => v + 70 * strength * tint[c]!);
}

/** Low contrast: pull every channel towards its own mean by up to 70%. */
export function lowContrast(image: Uint8Array, strength: number): Uint8Array {
  const sums = [0, 0, 0];
  for (let i = 0; i < image.length; i++) sums[i % 3]! += image[i]!;
  const means = sums.map((s) => s / Math.max(1, image.length / 3));
  const keep = 1 - 0.7 * strength;
  return pointwise(image, (v, c) => means[c]! + (v - means[c]!) * keep);
}

/** Blur: separable box filter of radius round(2·strength), edges clamped (defocus / motion softness). */
export function blur(image: Uint8Array, { height, width }: WorldImageSize, strength: number): Uint8Array {
  const r = Math.round(2 * strength);
  if (r === 0) return image.slice();
  const pass = (src: Float32Array, horizontal: boolean) => {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = -r; k <= r; k++) {
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
            sum += src[(yy * width + xx) * 3 + c]!;
          }
          dst[(y * width + x) * 3 + c] = sum / (2 * r + 1);
        }
      }
    }
    return dst;
  };
  const blurred = pass(pass(Float32Array.from(image), true), false);
  return Uint8Array.from(blurred, clampByte);
}

/** Sensor noise: independent Gaussian noise per channel value, sigma 30·strength. */
export function noise(image: Uint8Array, strength: number, random: Prng): Uint8Array {
  const sigma = 30 * strength;
  return Uint8Array.from(image, (v) => clampByte(v + sigma * random.normal()));
}

/** Rain: bright, thin, near-vertical streaks sharing one wind slant, each a few pixels long. */
export function rain(image: Uint8Array, { height, width }: WorldImageSize, strength: number, random: Prng): Uint8Array {
  const out = image.slice();
  const count = Math.round((strength * height * width) / 60);
  const length = Math.max(3, Math.round(height * (0.08 + 0.1 * strength)));
  const wind = (random.next() - 0.5) * 0.2;
  for (let s = 0; s < count; s++) {
    const x0 = random.next() * width;
    const y0 = Math.floor(random.next() * (height + length)) - length;
    const slope = wind + (random.next() - 0.5) * 0.1;
    for (let k = 0; k < length; k++) {
      const y = y0 + k;
      const x = Math.floor(x0 + slope * k);
      if (y < 0 || y >= height || x < 0 || x >= width) continue;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = clampByte(out[i + c]! + 0.55 * (255 - out[i + c]!));
    }
  }
  return out;
}

/** Snow: isolated bright specks (1×1, sometimes 2×2 when heavy) scattered over the image. */
export function snow(image: Uint8Array, { height, width }: WorldImageSize, strength: number, random: Prng): Uint8Array {
  const out = image.slice();
  const count = Math.round((strength * height * width) / 30);
  for (let s = 0; s < count; s++) {
    const x0 = Math.floor(random.next() * width);
    const y0 = Math.floor(random.next() * height);
    const size = random.next() < 0.3 * strength ? 2 : 1;
    for (let y = y0; y < Math.min(height, y0 + size); y++) {
      for (let x = x0; x < Math.min(width, x0 + size); x++) {
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) out[i + c] = clampByte(out[i + c]! + 0.85 * (255 - out[i + c]!));
      }
    }
  }
  return out;
}

function validate(shift: Shift): void {
  if (!SHIFT_KINDS.includes(shift.kind)) throw new SemlaError("world.invalid-shift", `unknown shift "${String(shift.kind)}"`, { kind: shift.kind });
  if (!(shift.strength >= 0 && shift.strength <= 1)) {
    throw new SemlaError("world.invalid-shift", `shift strength must be in [0, 1], got ${shift.strength}`, { kind: shift.kind, strength: shift.strength });
  }
  if (shift.kind === "colour-cast" && !(shift.tint.length === 3 && shift.tint.every((t) => t >= -1 && t <= 1))) {
    throw new SemlaError("world.invalid-shift", "colour-cast tint must be three values in [-1, 1]", { kind: shift.kind, tint: shift.tint });
  }
}

/** Applies one shift. `random` is only drawn from by rain, snow and noise. */
export function applyShift(image: Uint8Array, size: WorldImageSize, shift: Shift, random: Prng): Uint8Array {
  validate(shift);
  switch (shift.kind) {
    case "fog":
      return fog(image, size, shift.strength);
    case "rain":
      return rain(image, size, shift.strength, random);
    case "snow":
      return snow(image, size, shift.strength, random);
    case "night":
      return night(image, shift.strength);
    case "overexposure":
      return overexposure(image, shift.strength);
    case "colour-cast":
      return colourCast(image, shift.strength, shift.tint);
    case "low-contrast":
      return lowContrast(image, shift.strength);
    case "blur":
      return blur(image, size, shift.strength);
    case "noise":
      return noise(image, shift.strength, random);
  }
}

/**
 * Applies a combination in SHIFT_KINDS order (stable for repeated kinds). Each shift draws from its
 * own named stream (seed, `${label}:${kind}`), so adding fog to rain does not move the raindrops.
 */
export function applyShifts(image: Uint8Array, size: WorldImageSize, shifts: readonly Shift[], seed: number, label = ""): Uint8Array {
  const ordered = [...shifts].sort((a, b) => SHIFT_KINDS.indexOf(a.kind) - SHIFT_KINDS.indexOf(b.kind));
  let out: Uint8Array = image.slice();
  for (const shift of ordered) out = applyShift(out, size, shift, createPrng(seed, `${label}:${shift.kind}`));
  return out;
}
