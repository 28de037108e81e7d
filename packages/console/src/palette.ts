/**
 * The class colours of every picture of a mask: the console's overlay and legend, and the CLI's
 * `segment --overlay` and `--mask-color`. Colour i is the i-th class name's (a class keeps its colour
 * across images of one request's class list); past the palette's length colours repeat.
 */
export type Rgb = readonly [number, number, number];

/** Distinct, light-and-dark-readable colours (Sasha Trubetskoy's 20 distinct colours, reordered). */
export const PALETTE: readonly Rgb[] = [
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
];

/** The colour of class index `index`. */
export function classColour(index: number): Rgb {
  return PALETTE[index % PALETTE.length]!;
}

/** `#rrggbb` of a colour. */
export function hex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** Stops of the heatmap's sequential scale (viridis, at 0, 0.25, 0.5, 0.75, 1). */
const SCALE: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The heatmap colour of `value` in [0, 1] (clamped), linear between the scale's stops. */
export function scaleColour(value: number): Rgb {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * (SCALE.length - 1);
  const i = Math.min(SCALE.length - 2, Math.floor(v));
  const t = v - i;
  const [a, b] = [SCALE[i]!, SCALE[i + 1]!];
  return [0, 1, 2].map((c) => Math.round(a[c]! + t * (b[c]! - a[c]!))) as unknown as Rgb;
}
