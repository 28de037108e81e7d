import { LIMITS } from "@semla/core";

/**
 * From segmentation logits [C, h, w] (any grid: a model may answer at a fraction of its input size) to the answer: the per-pixel argmax as a label mask at the
 * original image size (nearest neighbour, half-pixel centres as PIL's NEAREST), and per-class scores
 * measured on that mask. Each output pixel copies one model pixel, so the scores are exact weighted
 * sums over model pixels, the weight of (sy, sx) being rows(sy) · cols(sx), the number of output
 * rows and columns that copy it: no full-size probability map is built. Pure computation, run in
 * the inference worker (the logits never cross the thread boundary; with 150 classes this is
 * 7.5 M exponentials, which would otherwise stall the main thread for ~100 ms).
 */

export interface LabelMask {
  /** width × height labels (class indices), row-major. */
  readonly labels: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Per class: fraction of the mask's pixels with that label. */
  readonly pixelFraction: Float64Array;
  /** Per class: mean softmax probability over the mask's pixels. */
  readonly meanProbability: Float64Array;
}

/** For each output coordinate, the source coordinate it copies. */
export function nearestSource(outSize: number, inSize: number): Int32Array {
  const map = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) map[o] = Math.min(inSize - 1, Math.floor(((o + 0.5) * inSize) / outSize));
  return map;
}

// Pixels per tile: a tile's slice of every class plane stays in cache while it is visited C times.
const TILE = 512;

/** logits: [classes, h, w] of one image (`grid` h × w, or a side for a square one). Ties go to the lower class index. */
export function labelMask(logits: Float32Array, classes: number, grid: number | { readonly height: number; readonly width: number }, width: number, height: number): LabelMask {
  const { height: gridHeight, width: gridWidth } = typeof grid === "number" ? { height: grid, width: grid } : grid;
  const plane = gridHeight * gridWidth;
  if (classes < 1 || classes > LIMITS.classes) throw new RangeError(`between 1 and ${LIMITS.classes} classes fit an 8-bit mask, got ${classes}`);
  if (logits.length !== classes * plane) throw new RangeError(`logits hold ${logits.length} values, expected ${classes}×${gridHeight}×${gridWidth}`);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`mask size must be positive integers, got ${width}×${height}`);
  }

  const srcX = nearestSource(width, gridWidth);
  const srcY = nearestSource(height, gridHeight);
  const cols = new Float64Array(gridWidth);
  const rows = new Float64Array(gridHeight);
  for (const x of srcX) cols[x]! += 1;
  for (const y of srcY) rows[y]! += 1;

  const argmax = new Uint8Array(plane);
  const labelled = new Float64Array(classes);
  const probability = new Float64Array(classes);
  const max = new Float64Array(TILE);
  const sum = new Float64Array(TILE);
  const exps = new Float64Array(TILE * classes);
  for (let start = 0; start < plane; start += TILE) {
    const n = Math.min(TILE, plane - start);
    for (let i = 0; i < n; i++) max[i] = logits[start + i] as number;
    argmax.fill(0, start, start + n);
    for (let c = 1; c < classes; c++) {
      const base = c * plane + start;
      for (let i = 0; i < n; i++) {
        const v = logits[base + i] as number;
        if (v > (max[i] as number)) {
          max[i] = v;
          argmax[start + i] = c;
        }
      }
    }
    sum.fill(0);
    for (let c = 0; c < classes; c++) {
      const base = c * plane + start;
      const row = c * TILE;
      for (let i = 0; i < n; i++) {
        const e = Math.exp((logits[base + i] as number) - (max[i] as number));
        exps[row + i] = e;
        sum[i]! += e;
      }
    }
    // weight / sum per pixel, then each class's weighted probability.
    for (let i = 0; i < n; i++) {
      const p = start + i;
      const weight = (rows[Math.floor(p / gridWidth)] as number) * (cols[p % gridWidth] as number);
      labelled[argmax[p] as number]! += weight;
      sum[i] = weight / (sum[i] as number);
    }
    for (let c = 0; c < classes; c++) {
      const row = c * TILE;
      let acc = 0;
      for (let i = 0; i < n; i++) acc += (exps[row + i] as number) * (sum[i] as number);
      probability[c]! += acc;
    }
  }

  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = (srcY[y] as number) * gridWidth;
    const out = y * width;
    for (let x = 0; x < width; x++) labels[out + x] = argmax[row + (srcX[x] as number)] as number;
  }
  const total = width * height;
  for (let c = 0; c < classes; c++) {
    labelled[c] = (labelled[c] as number) / total;
    probability[c] = (probability[c] as number) / total;
  }
  return { labels, width, height, pixelFraction: labelled, meanProbability: probability };
}
