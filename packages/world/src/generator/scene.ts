/**
 * Procedural street-and-landscape scenes: a layout (the label map) and its clean rendering.
 * The layout is drawn first and the image is a function of it, so labels are exact by construction;
 * visual shifts (shifts.ts) act on the rendered image only and never touch the layout.
 */
import type { Prng } from "@semla/core";
import { CLASS, type Rgb, WORLD_CLASSES } from "./classes.js";

export interface WorldImageSize {
  readonly height: number;
  readonly width: number;
}

export interface Scene extends WorldImageSize {
  /** RGB, H×W×3 row-major. */
  readonly image: Uint8Array;
  /** Class index per pixel, H×W row-major. */
  readonly labels: Uint8Array;
}

const between = (random: Prng, lo: number, hi: number) => lo + (hi - lo) * random.next();
const integer = (random: Prng, lo: number, hiInclusive: number) => lo + Math.floor(random.next() * (hiInclusive - lo + 1));

function fillRect(labels: Uint8Array, { height, width }: WorldImageSize, x0: number, y0: number, x1: number, y1: number, value: number): void {
  const xa = Math.max(0, Math.round(x0));
  const xb = Math.min(width, Math.round(x1));
  const ya = Math.max(0, Math.round(y0));
  const yb = Math.min(height, Math.round(y1));
  for (let y = ya; y < yb; y++) labels.fill(value, y * width + xa, y * width + Math.max(xa, xb));
}

function fillDisc(labels: Uint8Array, { height, width }: WorldImageSize, cx: number, cy: number, r: number, value: number): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) labels[y * width + x] = value;
    }
  }
}

/**
 * Painter's-order layout: sky, skyline of buildings and trees on the horizon, then the ground
 * (a perspective road between two terrains drawn from vegetation / water / snow), then cars on the
 * road and people at its edges, nearer objects over farther ones. Every scene has at least one car
 * and one person, and two distinct terrains, so every class shows up within a handful of scenes.
 */
export function generateLayout(size: WorldImageSize, random: Prng): Uint8Array {
  const { height, width } = size;
  const labels = new Uint8Array(height * width).fill(CLASS.sky);
  const horizon = Math.round(height * between(random, 0.35, 0.5));
  const depth = height - horizon;

  const buildings = integer(random, 2, 4);
  for (let b = 0; b < buildings; b++) {
    const w = width * between(random, 0.12, 0.3);
    const x0 = between(random, -0.1, 1) * width;
    const top = horizon - height * between(random, 0.12, 0.33);
    fillRect(labels, size, x0, top, x0 + w, horizon + 1, CLASS.building);
  }
  const trees = integer(random, 1, 3);
  for (let t = 0; t < trees; t++) {
    const r = height * between(random, 0.05, 0.11);
    fillDisc(labels, size, between(random, 0, 1) * width, horizon - r * between(random, 0.3, 1), r, CLASS.vegetation);
  }

  const terrains = [CLASS.vegetation, CLASS.water, CLASS.snowGround];
  const left = terrains.splice(integer(random, 0, 2), 1)[0]!;
  const right = terrains[integer(random, 0, 1)]!;
  const vanishX = width * between(random, 0.35, 0.65);
  const spread = width * between(random, 0.3, 0.45);
  const roadHalfWidth = (y: number) => 1 + ((y - horizon) / depth) * spread;
  for (let y = horizon; y < height; y++) {
    const half = roadHalfWidth(y);
    for (let x = 0; x < width; x++) {
      labels[y * width + x] = x < vanishX - half ? left : x >= vanishX + half ? right : CLASS.road;
    }
  }

  // Objects sorted far to near so nearer ones occlude; size scales with distance below the horizon.
  const objects: { kind: number; y: number; scale: number; edge: number }[] = [];
  for (let c = integer(random, 1, 3); c > 0; c--) objects.push({ kind: CLASS.car, y: 0, scale: 0, edge: 0 });
  for (let p = integer(random, 1, 2); p > 0; p--) objects.push({ kind: CLASS.person, y: 0, scale: 0, edge: 0 });
  for (const o of objects) {
    o.y = horizon + depth * between(random, 0.3, 1);
    o.scale = (o.y - horizon) / depth;
    o.edge = between(random, -1, 1);
  }
  objects.sort((a, b) => a.y - b.y);
  for (const { kind, y, scale, edge } of objects) {
    const half = roadHalfWidth(y);
    if (kind === CLASS.car) {
      const w = Math.max(3, scale * width * 0.28);
      const h = Math.max(2, w * 0.5);
      const cx = vanishX + edge * Math.max(0, half - w / 2);
      fillRect(labels, size, cx - w / 2, y - h, cx + w / 2, y, CLASS.car);
    } else {
      const h = Math.max(3, scale * height * 0.32);
      const w = Math.max(1, h * 0.3);
      const cx = vanishX + Math.sign(edge || 1) * half;
      fillRect(labels, size, cx - w / 2, y - h, cx + w / 2, y, CLASS.person);
    }
  }
  return labels;
}

/** Integer hash of a pixel to [-1, 1): per-pixel grain without drawing 3·H·W numbers from a stream. */
function grain(x: number, y: number, salt: number): number {
  let h = Math.imul(x + 1, 0x27d4eb2d) ^ Math.imul(y + 1, 0x165667b1) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 2147483648 - 1;
}

/** Class-specific structure beyond flat colour, as an offset in 0–255 units added to every channel. */
function texture(cls: number, x: number, y: number, height: number): number {
  switch (cls) {
    case CLASS.sky:
      return 45 * (y / height); // brighter towards the horizon
    case CLASS.building:
      return x % 4 !== 0 && y % 5 >= 2 ? -45 : 0; // window grid
    case CLASS.water:
      return 18 * Math.sin(y * 1.4 + 0.8 * Math.sin(x * 0.45)); // horizontal ripples
    case CLASS.car:
      return y % 3 === 0 ? -25 : 0; // panel lines
    default:
      return 0;
  }
}

const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Clean rendering: class colour, jittered once per scene, plus class texture and grain. */
export function renderScene(labels: Uint8Array, size: WorldImageSize, random: Prng): Uint8Array {
  const { height, width } = size;
  const palette: Rgb[] = WORLD_CLASSES.map(({ colour }) => {
    const shade = random.normal() * 8;
    return [colour[0] + shade + random.normal() * 4, colour[1] + shade + random.normal() * 4, colour[2] + shade + random.normal() * 4];
  });
  const salt = Math.floor(random.next() * 4294967296);
  const image = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const cls = labels[p]!;
      const base = palette[cls]!;
      const offset = texture(cls, x, y, height) + WORLD_CLASSES[cls]!.grain * grain(x, y, salt);
      image[p * 3] = clampByte(base[0] + offset);
      image[p * 3 + 1] = clampByte(base[1] + offset);
      image[p * 3 + 2] = clampByte(base[2] + offset);
    }
  }
  return image;
}

/** Layout and clean image of one scene, both from one stream. */
export function generateScene(size: WorldImageSize, random: Prng): Scene {
  const labels = generateLayout(size, random);
  return { ...size, labels, image: renderScene(labels, size, random) };
}
