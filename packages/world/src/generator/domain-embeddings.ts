import { createPrng } from "@semla/core";

/**
 * CLIP-like domain embeddings for demos and benchmarks. Real centroids of related domains cluster
 * (fog and fog+night share a direction), so a domain here is a set of visual shifts: its centroid is
 * the unit-normalised sum of a shared base direction and one direction per shift, plus a little noise.
 */
export interface DomainSpace {
  readonly dimension: number;
  /** Unit-norm centroid of a domain made of the given shifts (an empty list is the clean source domain). */
  centroid(shifts: readonly string[], noiseSeed?: number): Float32Array;
  /** An image embedding from that domain: its centroid plus per-image noise, unit-normalised. */
  sample(shifts: readonly string[], imageSeed: number, spread?: number): Float32Array;
}

function randomDirection(dimension: number, seed: number, label: string): Float64Array {
  const random = createPrng(seed, label);
  const v = Float64Array.from({ length: dimension }, () => random.normal());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function normalised(v: Float64Array): Float32Array {
  const norm = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / norm);
}

export function domainSpace(dimension: number, seed: number, { shiftStrength = 0.6, domainNoise = 0.05 } = {}): DomainSpace {
  const base = randomDirection(dimension, seed, "base");
  const directions = new Map<string, Float64Array>();
  const direction = (shift: string) => {
    let d = directions.get(shift);
    if (!d) {
      d = randomDirection(dimension, seed, `shift:${shift}`);
      directions.set(shift, d);
    }
    return d;
  };
  const mean = (shifts: readonly string[], noiseLabel: string, noise: number, noiseSeed: number) => {
    const v = Float64Array.from(base);
    for (const shift of shifts)
      direction(shift).forEach((x, i) => {
        v[i]! += shiftStrength * x;
      });
    const random = createPrng(noiseSeed, noiseLabel);
    for (let i = 0; i < dimension; i++) v[i]! += (noise / Math.sqrt(dimension)) * random.normal();
    return v;
  };
  const key = (shifts: readonly string[]) => [...shifts].sort().join("+") || "clean";
  return {
    dimension,
    centroid: (shifts, noiseSeed = seed) => normalised(mean(shifts, `domain:${key(shifts)}`, domainNoise, noiseSeed)),
    sample: (shifts, imageSeed, spread = 0.1) => {
      const v = Float64Array.from(mean(shifts, `domain:${key(shifts)}`, domainNoise, seed));
      const random = createPrng(imageSeed, `image:${key(shifts)}`);
      for (let i = 0; i < dimension; i++) v[i]! += (spread / Math.sqrt(dimension)) * random.normal();
      return normalised(v);
    },
  };
}
