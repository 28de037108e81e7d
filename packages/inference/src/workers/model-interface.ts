import { WorkerError } from "./errors.js";
import type { OrtWorkerPool } from "./pool.js";

/**
 * Refuses, at start-up, a model whose inputs and outputs are not the ones a caller feeds and
 * reads (say, an export whose output is `last_hidden_state` rather than `image_embeds`).
 */
export function requireModelInterface(pool: OrtWorkerPool, model: string, expected: { readonly inputs: readonly string[]; readonly outputs: readonly string[] }): void {
  const info = pool.models[model];
  if (!info) {
    throw new WorkerError("unknown-model", `no model ${JSON.stringify(model)} in this pool`, { model, models: Object.keys(pool.models) });
  }
  const missingInputs = expected.inputs.filter((name) => !info.inputNames.includes(name));
  const missingOutputs = expected.outputs.filter((name) => !info.outputNames.includes(name));
  if (missingInputs.length > 0 || missingOutputs.length > 0) {
    throw new WorkerError(
      "model-interface",
      `model ${model} lacks ${[...missingInputs.map((n) => `input ${n}`), ...missingOutputs.map((n) => `output ${n}`)].join(", ")} ` +
        `(it has inputs [${info.inputNames.join(", ")}], outputs [${info.outputNames.join(", ")}])`,
      { model, missingInputs, missingOutputs, inputNames: info.inputNames, outputNames: info.outputNames },
    );
  }
}
