import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { bytesSource, peft } from "@semla/core";
import { describe, expect, it } from "vitest";
import { CATSEG_EXPORT_DIR, catsegExportFile, readCatsegExportJson, readCatsegNpy } from "../testing/fixtures.js";

interface Modules {
  linear: { name: string; in: number; out: number; bias: boolean }[];
  unadaptable: { name: string; type: string }[];
}

const BLOCKS = "sem_seg_head.predictor.clip_model.visual.transformer.resblocks";

describe("the CAT-Seg-shaped fixtures (packages/models/fixtures/catseg-export)", () => {
  it("are the files generate.py wrote: every one, adapters' folders included, listed in manifest.json with its size and sha256", async () => {
    const manifest = await readCatsegExportJson<Record<string, { bytes: number; sha256: string }>>("manifest.json");
    const present = (await readdir(CATSEG_EXPORT_DIR, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.endsWith(".py") && !entry.name.endsWith(".md") && entry.name !== "manifest.json")
      .map((entry) => path.relative(CATSEG_EXPORT_DIR, path.join(entry.parentPath, entry.name)))
      .sort();
    expect(Object.keys(manifest).sort()).toEqual(present);
    expect(present).toContain("adapter-fog/adapter_model.safetensors");
    for (const [name, { bytes, sha256 }] of Object.entries(manifest)) {
      const content = await readFile(catsegExportFile(name));
      expect([name, content.byteLength, createHash("sha256").update(content).digest("hex")]).toEqual([name, bytes, sha256]);
      expect(content.byteLength, name).toBeLessThan(256 * 1024);
    }
  });

  it("hold arrays of the shapes the README gives: two images, three classes, 8×8 logits", async () => {
    const shapes: Record<string, number[]> = {
      "pixels.npy": [2, 3, 32, 32],
      "text-embeds.npy": [3, 16],
      "logits-base.npy": [2, 3, 8, 8],
      "logits-fog.npy": [2, 3, 8, 8],
      "logits-night.npy": [2, 3, 8, 8],
      "logits-cat.npy": [2, 3, 8, 8],
      "logits-gemm-fog.npy": [2, 3, 8, 8],
    };
    for (const [name, shape] of Object.entries(shapes)) expect([name, (await readCatsegNpy(name)).shape]).toEqual([name, shape]);
  });

  it("list the model's 13 adaptable linears (head.proj without bias) and its conv, attention and the attention's own out_proj as un-adaptable", async () => {
    const modules = await readCatsegExportJson<Modules>("modules.json");
    expect(modules.linear).toHaveLength(13);
    expect(modules.linear.filter((m) => !m.bias).map((m) => m.name)).toEqual(["sem_seg_head.predictor.head.proj"]);
    expect(modules.linear).toContainEqual({ name: `${BLOCKS}.1.mlp.c_fc`, in: 32, out: 64, bias: true });
    expect(modules.unadaptable.map(({ name, type }) => [name, type])).toEqual([
      ["sem_seg_head.predictor.clip_model.visual.conv1", "Conv2d"],
      ["sem_seg_head.predictor.text_attn", "MultiheadAttention"],
      ["sem_seg_head.predictor.text_attn.out_proj", "NonDynamicallyQuantizableLinear"],
    ]);
  });

  it.each([
    ["adapter-fog", 2, [`${BLOCKS}.0.attn.q_proj`, `${BLOCKS}.0.attn.v_proj`, `${BLOCKS}.1.attn.q_proj`, `${BLOCKS}.1.attn.v_proj`]],
    ["adapter-night", 1, [`${BLOCKS}.1.attn.out_proj`, `${BLOCKS}.1.mlp.c_fc`, "sem_seg_head.predictor.head.proj"]],
  ])(
    "%s reads as a PEFT adapter (the hand-written safetensors too) whose modules are the linears its target_modules select, A [r, in] and B [out, r], with alpha / r = %d",
    async (folder, scaling, targets) => {
      const { linear } = await readCatsegExportJson<Modules>("modules.json");
      const adapter = await peft.readLoraAdapter({
        config: await readFile(catsegExportFile(`${folder}/adapter_config.json`)),
        weights: bytesSource(new Uint8Array(await readFile(catsegExportFile(`${folder}/adapter_model.safetensors`)))),
      });
      expect(linear.filter((m) => peft.isTargetModule(adapter.config, m.name)).map((m) => m.name)).toEqual(targets);
      expect(adapter.modules.map((m) => m.name)).toEqual([...targets].sort());
      for (const m of adapter.modules) {
        const shape = linear.find((l) => l.name === m.name);
        expect([m.name, m.inFeatures, m.outFeatures, m.scaling, m.a.length, m.b.length]).toEqual([m.name, shape?.in, shape?.out, scaling, m.rank * m.inFeatures, m.outFeatures * m.rank]);
        // Trained factors: PEFT's B starts at zero, these do not.
        expect(m.b.some((v) => v !== 0)).toBe(true);
      }
    },
  );
});
