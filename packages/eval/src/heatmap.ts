import sharp from "sharp";
import type { ContributionMatrix } from "./contributions.js";

/** Viridis at 5 stops: perceptually even and readable in grey, as matplotlib's default. */
const STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour of t ∈ [0, 1] (clamped), linearly between the stops. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i]!;
  const b = STOPS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

export interface HeatmapLayout {
  readonly cell: number;
  /** Left margin (row labels) and top margin (column labels), in pixels. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export function heatmapLayout(matrix: ContributionMatrix, cell = 24): HeatmapLayout {
  const longest = (names: readonly string[]) => Math.max(1, ...names.map((n) => n.length));
  const left = 12 + 7 * longest(matrix.rows);
  const top = 16 + 6 * longest(matrix.columns);
  // Rotated column labels reach about half their length to the right of their cell; the caption needs ≈ 280 px.
  const width = Math.max(left + cell * matrix.columns.length + 4 * longest(matrix.columns), left + 290);
  return { cell, left, top, width, height: top + cell * matrix.rows.length + 28 };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The contribution heatmap as a PNG: a cell per (target, adapter) coloured by mean weight on a
 * viridis scale from 0 to 1, row labels (targets) on the left, column labels (adapters) rotated on
 * top. Cells are raw RGB (exact colours); the labels are an SVG overlay, drawn with whatever sans
 * font the machine has (without one the figure keeps its cells, and the Markdown report names rows and columns).
 */
export async function renderHeatmapPng(matrix: ContributionMatrix, cell = 24): Promise<Uint8Array> {
  const layout = heatmapLayout(matrix, cell);
  const { width, height, left, top } = layout;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  matrix.rows.forEach((_, r) => {
    matrix.columns.forEach((_, c) => {
      const colour = viridis(matrix.values[r * matrix.columns.length + c]!);
      for (let y = top + r * cell; y < top + (r + 1) * cell - 1; y++) {
        for (let x = left + c * cell; x < left + (c + 1) * cell - 1; x++) rgb.set(colour, (y * width + x) * 3);
      }
    });
  });
  const text = [
    `<text x="4" y="14" font-weight="bold">target \\ adapter</text>`,
    ...matrix.rows.map((name, r) => `<text x="${left - 6}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(name)}</text>`),
    ...matrix.columns.map((name, c) => {
      const x = left + c * cell + cell / 2 + 4;
      return `<text x="${x}" y="${top - 6}" transform="rotate(-60 ${x} ${top - 6})">${escapeXml(name)}</text>`;
    }),
    `<text x="${left}" y="${height - 8}">mean SemLA weight: 0 (purple) to 1 (yellow)</text>`,
  ].join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, sans-serif" font-size="11" fill="#222">${text}</g></svg>`;
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .png()
    .toBuffer();
  return new Uint8Array(png);
}
