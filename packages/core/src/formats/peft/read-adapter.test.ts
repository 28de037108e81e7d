import { describe, expect, it } from "vitest";
import { type ByteSource, bytesSource } from "../../bytes/byte-source.js";
import { LIMITS } from "../../limits/limits.js";
import { SMALL_MODULES, smallAdapter } from "../../testing/fusion.js";
import { writeSafetensors } from "../safetensors/index.js";
import { readLoraAdapter } from "./read-adapter.js";
import { writePeftAdapter } from "./write-adapter.js";

const Q = SMALL_MODULES[0].name;
const config = { peft_type: "LORA", r: 2, lora_alpha: 4, target_modules: ["q_proj", "v_proj"] };

function weights(tensors: Record<string, number[]>): ByteSource {
  return bytesSource(writeSafetensors(Object.entries(tensors).map(([name, shape]) => ({ name, shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(0.5) }))));
}

describe("reading a PEFT LoRA adapter", () => {
  it("round-trips through PEFT's file layout (base_model.model.<module>.lora_{A,B}.weight)", async () => {
    const adapter = smallAdapter(1, 3, { alpha: 9 });
    const files = writePeftAdapter(adapter);
    const back = await readLoraAdapter({ config: files.config, weights: bytesSource(files.weights) });
    expect(back.config).toEqual(adapter.config);
    expect(back.modules.map((m) => [m.name, m.rank, m.inFeatures, m.outFeatures, m.scaling])).toEqual(adapter.modules.map((m) => [m.name, 3, m.inFeatures, m.outFeatures, 3]));
    back.modules.forEach((m, i) => {
      expect(Array.from(m.a)).toEqual(Array.from(adapter.modules[i]!.a));
      expect(Array.from(m.b)).toEqual(Array.from(adapter.modules[i]!.b));
    });
  });

  it("accepts names without the base_model.model. prefix and honours rank_pattern, alpha_pattern and rsLoRA", async () => {
    const adapter = await readLoraAdapter({
      config: { ...config, use_rslora: true, rank_pattern: { v_proj: 4 }, alpha_pattern: { v_proj: 8 } },
      weights: weights({ "m.q_proj.lora_A.weight": [2, 6], "m.q_proj.lora_B.weight": [5, 2], "m.v_proj.lora_A.weight": [4, 6], "m.v_proj.lora_B.weight": [6, 4] }),
    });
    expect(adapter.modules.map((m) => [m.name, m.rank, m.alpha, m.scaling])).toEqual([
      ["m.q_proj", 2, 4, 4 / Math.SQRT2],
      ["m.v_proj", 4, 8, 4],
    ]);
  });

  it.each([
    [{ "base_model.model.m.q_proj.lora_A.weight": [2, 6] }, "unpaired-module", /module m.q_proj has lora_A but no lora_B/],
    [{ "m.q_proj.lora_A.weight": [3, 6], "m.q_proj.lora_B.weight": [5, 3] }, "rank-mismatch", /m.q_proj: weights have rank 3 but the config gives rank 2/],
    [{ "m.q_proj.lora_A.weight": [2, 6], "m.q_proj.lora_B.weight": [5, 3] }, "shape", /ranks differ/],
    [{ "m.k_proj.lora_A.weight": [2, 6], "m.k_proj.lora_B.weight": [5, 2] }, "untargeted-module", /m.k_proj .* not matched by target_modules/],
    [{ "m.q_proj.lora_A.weight": [2, 6, 3, 3], "m.q_proj.lora_B.weight": [5, 2, 1, 1] }, "unsupported-kind", /convolution/],
    [{ "m.q_proj.lora_magnitude_vector": [5] }, "unsupported-kind", /DoRA/],
    [{ "m.embed.lora_embedding_A": [2, 6] }, "unsupported-kind", /embedding/],
    [{ "m.q_proj.lora_B.bias": [5] }, "unsupported-kind", /LoRA bias/],
    [{ "classifier.weight": [5, 6] }, "unknown-tensor", /classifier.weight is not a LoRA weight/],
    [{}, "no-modules", /no LoRA weights/],
  ])("refuses %j (%s), naming the module", async (tensors, rule, message) => {
    await expect(readLoraAdapter({ config, weights: weights(tensors) })).rejects.toThrow(expect.objectContaining({ code: `adapter.${rule}`, message: expect.stringMatching(message) }));
  });

  it("refuses, before matching, weights whose module names cost more than LIMITS.patternWork against the config's patterns", async () => {
    // a{1000} is 1,002 instructions; matching it over these names would take some 2·10⁷ steps.
    const names = Array.from({ length: Math.ceil(LIMITS.patternWork / 1002 / 200) + 1 }, (_, i) => `${"m".repeat(190)}.${String(i).padStart(5, "0")}.q_proj`);
    const tensors = Object.fromEntries(
      names.flatMap((name) => [
        [`${name}.lora_A.weight`, [2, 1]],
        [`${name}.lora_B.weight`, [1, 2]],
      ]),
    );
    await expect(readLoraAdapter({ config: { ...config, target_modules: "a{1000}|.*q_proj" }, weights: weights(tensors) })).rejects.toThrow(
      expect.objectContaining({ code: "adapter.pattern", details: expect.objectContaining({ fields: ["target_modules"], modules: names.length, limit: LIMITS.patternWork }) }),
    );
    // The same weights with a list of target modules match nothing by regex: they are read.
    expect((await readLoraAdapter({ config, weights: weights(tensors) })).modules).toHaveLength(names.length);
  });

  it("refuses NaN or Inf in the weights, naming the tensor", async () => {
    const bytes = writeSafetensors([
      { name: "m.q_proj.lora_A.weight", shape: [2, 2], data: Float32Array.from([0, 1, Number.POSITIVE_INFINITY, 2]) },
      { name: "m.q_proj.lora_B.weight", shape: [2, 2], data: new Float32Array(4) },
    ]);
    await expect(readLoraAdapter({ config, weights: bytesSource(bytes) })).rejects.toThrow(
      expect.objectContaining({ code: "safetensors.non-finite", details: expect.objectContaining({ tensor: "m.q_proj.lora_A.weight" }) }),
    );
  });

  it("writes a config PEFT reads back with the same scaling for a fused adapter (r = lora_alpha)", async () => {
    const files = writePeftAdapter(smallAdapter(2, 2));
    const parsed = JSON.parse(files.config) as Record<string, unknown>;
    expect(parsed).toMatchObject({ peft_type: "LORA", r: 2, lora_alpha: 4, target_modules: [...SMALL_MODULES.map((m) => m.name)].sort() });
    expect(parsed.target_modules).toContain(Q);
  });
});
