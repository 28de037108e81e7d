/**
 * The closed label set of the synthetic world. Indices are the values stored in label maps, so the
 * order is part of the format: append, never reorder. Colours are deliberately distinct per class
 * so a shift that moves colours (night, cast, fog) measurably confuses a segmenter trained on clean scenes.
 */
export type Rgb = readonly [number, number, number];

export interface WorldClass {
  readonly index: number;
  readonly name: string;
  /** Base colour of the class before texture and per-scene jitter. */
  readonly colour: Rgb;
  /** Amplitude of per-pixel grain, in 0–255 units: smooth sky vs rough foliage. */
  readonly grain: number;
}

export const WORLD_CLASSES = [
  { index: 0, name: "sky", colour: [110, 160, 225], grain: 3 },
  { index: 1, name: "road", colour: [92, 92, 98], grain: 12 },
  { index: 2, name: "building", colour: [150, 118, 100], grain: 6 },
  { index: 3, name: "vegetation", colour: [52, 122, 46], grain: 26 },
  { index: 4, name: "car", colour: [200, 32, 38], grain: 5 },
  { index: 5, name: "person", colour: [224, 170, 64], grain: 8 },
  { index: 6, name: "water", colour: [40, 92, 160], grain: 6 },
  { index: 7, name: "snow-covered ground", colour: [234, 238, 245], grain: 5 },
] as const satisfies readonly WorldClass[];

export type WorldClassName = (typeof WORLD_CLASSES)[number]["name"];

export const NUM_WORLD_CLASSES = WORLD_CLASSES.length;

/** Label value of each class by name, e.g. `CLASS.car === 4`. */
export const CLASS = {
  sky: 0,
  road: 1,
  building: 2,
  vegetation: 3,
  car: 4,
  person: 5,
  water: 6,
  snowGround: 7,
} as const;
