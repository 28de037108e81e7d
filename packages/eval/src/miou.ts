/**
 * Semantic segmentation scores from a confusion matrix, as detectron2's SemSegEvaluator (CAT-Seg's,
 * so the paper's) computes them: pixels labelled IGNORE_LABEL or ≥ classes in the ground truth do
 * not count; IoU_c = TP / (TP + FP + FN); the mean is over classes that occur in the ground truth or
 * the prediction of the evaluated set (union > 0). Accumulated over a whole domain, not per image.
 */
export const IGNORE_LABEL = 255;

export class ConfusionMatrix {
  /** counts[gt · classes + predicted] */
  readonly counts: Float64Array;

  constructor(readonly classes: number) {
    if (!Number.isInteger(classes) || classes < 1 || classes > 255) throw new RangeError(`classes must be an integer in [1, 255], got ${classes}`);
    this.counts = new Float64Array(classes * classes);
  }

  /** Adds one image's pixels; predictions outside [0, classes) count as wrong (a column of their own is not kept). */
  add(groundTruth: Uint8Array, predicted: Uint8Array): this {
    if (groundTruth.length !== predicted.length) throw new RangeError(`label map has ${groundTruth.length} pixels, prediction ${predicted.length}`);
    const k = this.classes;
    for (let i = 0; i < groundTruth.length; i++) {
      const gt = groundTruth[i]!;
      if (gt >= k) continue;
      const p = predicted[i]!;
      if (p < k) this.counts[gt * k + p]! += 1;
      else this.outOfRange[gt] = (this.outOfRange[gt] ?? 0) + 1;
    }
    return this;
  }

  /** Ground-truth pixels of each class predicted as no valid class (they are false negatives). */
  private readonly outOfRange: number[] = [];

  merge(other: ConfusionMatrix): this {
    if (other.classes !== this.classes) throw new RangeError("confusion matrices of different class counts");
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    other.outOfRange.forEach((n, c) => {
      this.outOfRange[c] = (this.outOfRange[c] ?? 0) + n;
    });
    return this;
  }

  /** IoU per class; null where the class is in neither the ground truth nor the prediction. */
  iou(): (number | null)[] {
    const k = this.classes;
    return Array.from({ length: k }, (_, c) => {
      let gt = this.outOfRange[c] ?? 0;
      let pred = 0;
      for (let j = 0; j < k; j++) {
        gt += this.counts[c * k + j]!;
        pred += this.counts[j * k + c]!;
      }
      const tp = this.counts[c * k + c]!;
      const union = gt + pred - tp;
      return union > 0 ? tp / union : null;
    });
  }

  /** Mean IoU over the classes present (null when nothing was counted). */
  meanIou(): number | null {
    const present = this.iou().filter((v): v is number => v !== null);
    return present.length === 0 ? null : present.reduce((s, v) => s + v, 0) / present.length;
  }

  /** Fraction of counted pixels labelled correctly. */
  pixelAccuracy(): number | null {
    let total = this.outOfRange.reduce((s, n) => s + (n ?? 0), 0);
    let correct = 0;
    for (let c = 0; c < this.classes; c++) {
      correct += this.counts[c * this.classes + c]!;
      for (let j = 0; j < this.classes; j++) total += this.counts[c * this.classes + j]!;
    }
    return total > 0 ? correct / total : null;
  }
}
