import type { ByteSource } from "../../bytes/byte-source.js";
import type { LoraAdapter, LoraModule } from "../../lora/adapter.js";
import { readSafetensorsHeader, readTensor, type SafetensorsHeader, type TensorInfo } from "../safetensors/index.js";
import { type PeftLoraConfig, parsePeftConfig } from "./config.js";
import { AdapterFormatError } from "./errors.js";
import { isTargetModule, loraScaling, moduleRankAndAlpha, peftPatterns } from "./patterns.js";
import { classifyTensorName } from "./tensor-names.js";

export interface ModuleLayout {
  readonly name: string;
  readonly rank: number;
  readonly alpha: number;
  readonly scaling: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly a: TensorInfo;
  readonly b: TensorInfo;
}

/**
 * Pairs `lora_A` [r, in] with `lora_B` [out, r] per module and checks them against the config,
 * from the safetensors header alone: no tensor data is read, so it is cheap on a range reader.
 */
export function planAdapterLayout(config: PeftLoraConfig, header: SafetensorsHeader): ModuleLayout[] {
  const pairs = new Map<string, { A?: TensorInfo; B?: TensorInfo }>();
  for (const tensor of header.tensors) {
    const { module, role } = classifyTensorName(tensor.name);
    const pair = pairs.get(module) ?? {};
    pair[role] = tensor;
    pairs.set(module, pair);
  }
  if (pairs.size === 0) throw new AdapterFormatError("no-modules", "adapter_model.safetensors holds no LoRA weights");
  // The weights name the modules the config's patterns are matched over: bound that work first.
  peftPatterns(config).checkMatchWork(pairs.keys());

  const layouts: ModuleLayout[] = [];
  for (const [module, { A, B }] of [...pairs].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (!A || !B) {
      throw new AdapterFormatError("unpaired-module", `module ${module} has lora_${A ? "A" : "B"} but no lora_${A ? "B" : "A"}`, { module });
    }
    if (A.shape.length !== 2 || B.shape.length !== 2) {
      const kind = A.shape.length === 4 ? "LoRA on convolution layers" : `lora_A of rank-${A.shape.length} shape [${A.shape}]`;
      throw new AdapterFormatError("unsupported-kind", `module ${module}: ${kind} is not supported (only linear layers)`, { module });
    }
    const [rankA, inFeatures] = A.shape as [number, number];
    const [outFeatures, rankB] = B.shape as [number, number];
    if (rankA !== rankB) {
      throw new AdapterFormatError("shape", `module ${module}: lora_A is [${A.shape}] and lora_B is [${B.shape}]; their ranks differ`, { module });
    }
    if (!isTargetModule(config, module)) {
      throw new AdapterFormatError("untargeted-module", `module ${module} has LoRA weights but is not matched by target_modules`, { module });
    }
    const { rank, alpha } = moduleRankAndAlpha(config, module);
    if (rank !== rankA) {
      throw new AdapterFormatError("rank-mismatch", `module ${module}: weights have rank ${rankA} but the config gives rank ${rank}`, { module, weights: rankA, config: rank });
    }
    if (rank === 0 || inFeatures === 0 || outFeatures === 0) {
      throw new AdapterFormatError("shape", `module ${module}: empty LoRA matrices [${A.shape}] x [${B.shape}]`, { module });
    }
    layouts.push({ name: module, rank, alpha, scaling: loraScaling(alpha, rank, config.use_rslora), inFeatures, outFeatures, a: A, b: B });
  }
  return layouts;
}

export interface ReadAdapterInput {
  /** adapter_config.json as text, bytes or parsed JSON. */
  readonly config: string | Uint8Array | unknown;
  /** adapter_model.safetensors. */
  readonly weights: ByteSource;
}

/** Reads and validates a PEFT LoRA adapter; every violation is a typed error naming the module or tensor. */
export async function readLoraAdapter(input: ReadAdapterInput): Promise<LoraAdapter> {
  const config = parsePeftConfig(input.config);
  const header = await readSafetensorsHeader(input.weights);
  const layouts = planAdapterLayout(config, header);
  const modules: LoraModule[] = [];
  for (const layout of layouts) {
    const a = await readTensor(input.weights, header, layout.a.name);
    const b = await readTensor(input.weights, header, layout.b.name);
    modules.push({
      name: layout.name,
      rank: layout.rank,
      alpha: layout.alpha,
      scaling: layout.scaling,
      inFeatures: layout.inFeatures,
      outFeatures: layout.outFeatures,
      a,
      b,
    });
  }
  return { config, modules };
}
