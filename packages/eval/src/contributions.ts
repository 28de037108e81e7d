import type { ImageWeights } from "./runner.js";

/** Mean SemLA weight of each adapter (columns) for each target domain (rows): the paper's Figure 3. */
export interface ContributionMatrix {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  /** rows × columns, row-major; an adapter not chosen for an image counts as weight 0 for it. */
  readonly values: Float64Array;
}

/**
 * Averages per-image weights per target domain. Columns: `adapters` when given (the library's
 * order), else every adapter that got weight, in order of first appearance.
 */
export function contributionMatrix(weights: readonly ImageWeights[], adapters?: readonly string[]): ContributionMatrix {
  const rows = [...new Set(weights.map((w) => w.domain))];
  const columns = adapters ? [...adapters] : [...new Set(weights.flatMap((w) => Object.keys(w.weights)))];
  const values = new Float64Array(rows.length * columns.length);
  const images = new Array<number>(rows.length).fill(0);
  for (const w of weights) {
    const r = rows.indexOf(w.domain);
    images[r]! += 1;
    for (const [name, weight] of Object.entries(w.weights)) {
      const c = columns.indexOf(name);
      if (c >= 0) values[r * columns.length + c]! += weight;
    }
  }
  rows.forEach((_, r) => {
    for (let c = 0; c < columns.length; c++) values[r * columns.length + c]! /= images[r]!;
  });
  return { rows, columns, values };
}
