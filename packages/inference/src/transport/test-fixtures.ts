// Test fixtures (not exported from the package): small deterministic adapters and a PNG.
import { peft, randomAdapter, type LoraAdapter } from "@semla/core";

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

/** A 1x1 greyscale PNG (valid signature and chunks). */
export const ONE_PIXEL_PNG = new Uint8Array(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABc3UWCgAAAABJRU5ErkJggg==", "base64"),
);

/** A key the registry would give a source adapter's weights. */
export function sourceObjectKey(sha256: string, n = 1): string {
  return `adapters/11111111-1111-4111-8111-111111111111/22222222-2222-4222-8222-${String(n).padStart(12, "0")}/v1/${sha256}.safetensors`;
}
