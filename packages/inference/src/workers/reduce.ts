import { labelMask } from "../segment/label-mask.js";
import type { LabelMaskReduced, LabelMaskReduction } from "./protocol.js";
import type { Outputs } from "./tensors.js";

/** Applies a reduction to a run's outputs (in the worker); returns what remains to send and the result. */
export function applyReduction(outputs: Outputs, reduction: LabelMaskReduction): { outputs: Outputs; reduced: LabelMaskReduced } {
  const started = performance.now();
  const { output, classes, width, height } = reduction;
  const logits = outputs[output];
  const [batch, planes, gridHeight, gridWidth] = logits?.dims ?? [];
  if (logits?.dims.length !== 4 || batch !== 1 || planes !== classes || gridHeight === undefined || gridWidth === undefined) {
    throw new RangeError(`label-mask: output ${output} has dims [${logits?.dims.join(", ") ?? "absent"}], expected [1, ${classes}, h, w]`);
  }
  const mask = labelMask(logits.data, classes, { height: gridHeight, width: gridWidth }, width, height);
  const rest = Object.fromEntries(Object.entries(outputs).filter(([name]) => name !== output));
  return { outputs: rest, reduced: { kind: "label-mask", ...mask, ms: performance.now() - started } };
}
