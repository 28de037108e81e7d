// Test fixtures: small deterministic adapters, and the keys the registry would give them.
import { type LoraAdapter, peft, randomAdapter } from "@semla/core";
import { sha256Hex } from "@semla/storage";
import type { AdapterSource } from "../types.js";

export const MODULES = [
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.q_proj", inFeatures: 16, outFeatures: 16 },
  { name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.mlp.c_fc", inFeatures: 16, outFeatures: 32 },
];

export function smallAdapter(seed: number, rank = 2): LoraAdapter {
  return randomAdapter({ modules: MODULES, rank, seed, baseModel: "catseg-test" });
}

export function safetensorsOf(adapter: LoraAdapter): Uint8Array {
  return peft.writePeftAdapter(adapter).weights;
}

/** A key the registry would give a source adapter's weights. */
export function sourceObjectKey(sha256: string, n = 1): string {
  return `adapters/11111111-1111-4111-8111-111111111111/22222222-2222-4222-8222-${String(n).padStart(12, "0")}/v1/${sha256}.safetensors`;
}

/** Weighted sources over the given adapters, with their safetensors (to put in a store). */
export function sourcesOf(adapters: readonly LoraAdapter[], weights: readonly number[]): { sources: AdapterSource[]; files: Uint8Array[] } {
  const files = adapters.map((adapter) => safetensorsOf(adapter));
  const sources = adapters.map((adapter, i) => {
    const sha256 = sha256Hex(files[i]!);
    return { sha256, objectKey: sourceObjectKey(sha256, i), config: adapter.config, weight: weights[i]! };
  });
  return { sources, files };
}
