import type { LoraAdapter } from "../../lora/adapter.js";
import { writeSafetensors } from "../safetensors/index.js";
import { loraTensorName } from "./tensor-names.js";

export interface PeftFiles {
  /** adapter_config.json */
  readonly config: string;
  /** adapter_model.safetensors (F32) */
  readonly weights: Uint8Array;
}

/** Serialises an adapter the way PEFT's save_pretrained lays it out, so PEFT can load it. */
export function writePeftAdapter(adapter: LoraAdapter, metadata: Record<string, string> = {}): PeftFiles {
  const tensors = adapter.modules.flatMap((m) => [
    { name: loraTensorName(m.name, "A"), shape: [m.rank, m.inFeatures], data: m.a },
    { name: loraTensorName(m.name, "B"), shape: [m.outFeatures, m.rank], data: m.b },
  ]);
  return {
    config: `${JSON.stringify(adapter.config, null, 2)}\n`,
    weights: writeSafetensors(tensors, { format: "pt", ...metadata }),
  };
}
