import { cp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { openModelPack } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TinyModels, tinyModelFiles } from "../testing/tiny-models.js";
import { ClipEmbedder } from "../workers/embedder.js";
import { checkModelPack, inspectModelPack } from "./check-pack.js";

describe("checking a model pack", () => {
  let models: TinyModels;
  beforeAll(async () => {
    models = await tinyModelFiles();
  });
  afterAll(() => models.remove());

  /** A copy of the tiny pack whose manifest `edit` changed (its files untouched, so their digests still hold). */
  async function edited(name: string, edit: (manifest: Record<string, any>) => void): Promise<string> {
    const dir = path.join(models.dir, "..", `${path.basename(models.dir)}-${name}`);
    await rm(dir, { recursive: true, force: true });
    await cp(models.dir, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(dir, "semla-models.json"), "utf8"));
    edit(manifest);
    await writeFile(path.join(dir, "semla-models.json"), JSON.stringify(manifest));
    return dir;
  }

  it("lists each model's inputs and outputs with their types and shapes", async () => {
    const inspected = await inspectModelPack(models);
    expect(inspected.map((m) => [m.role, path.basename(m.path)])).toEqual([
      ["imageEncoder", "clip-vision.onnx"],
      ["textEncoder", "text-encoder.onnx"],
      ["segmenter", "segmentation.onnx"],
    ]);
    expect(inspected[0]!.inputs).toEqual([{ name: "pixel_values", type: "float32", dims: ["batch", 3, 32, 32] }]);
    expect(inspected[0]!.outputs).toEqual([{ name: "image_embeds", type: "float32", dims: ["batch", 16] }]);
    expect(inspected[1]!.inputs).toEqual([
      { name: "input_ids", type: "int64", dims: ["classes", "tokens"] },
      { name: "attention_mask", type: "float32", dims: ["classes", "tokens"] },
    ]);
    const lora = inspected[2]!.inputs.filter((i) => i.name.endsWith(".lora_A.weight"));
    expect(lora).toHaveLength(models.segmenter!.loraModules.length);
    const first = models.segmenter!.loraModules[0]!;
    expect(lora[0]).toEqual({ name: `${first.name}.lora_A.weight`, type: "float32", dims: [`${first.name}.rank`, first.inFeatures] });
  });

  it("passes the generated pack: every model runs on its probe with the shapes the manifest promises", async () => {
    const checks = await checkModelPack(models);
    expect(checks.map((c) => [c.role, c.check, c.ok])).toEqual([
      ["imageEncoder", "names", true],
      ["imageEncoder", "probe", true],
      ["textEncoder", "names", true],
      ["textEncoder", "probe", true],
      ["segmenter", "names", true],
      ["segmenter", "probe", true],
    ]);
    expect(checks[1]!.detail).toBe("image_embeds [1, 16] for one 32×32 image; the manifest says dimension 16");
    expect(checks[5]!.detail).toBe(`logits [1, 2, 32, 32] for one 32×32 image and 2 classes (expected [1, 2, h, w]); ${models.segmenter!.loraModules.length} LoRA modules fed`);
  });

  it("fails a pack whose manifest names an output the graph lacks, or another dimension, saying which", async () => {
    const renamed = await openModelPack(
      await edited("renamed", (m) => {
        m.imageEncoder.outputs = { embeddings: "pooler_output" };
        m.textEncoder.dimension = 8;
      }),
    );
    const checks = await checkModelPack(renamed);
    expect(checks.filter((c) => !c.ok)).toEqual([
      { role: "imageEncoder", check: "names", ok: false, detail: "lacks output pooler_output (has inputs pixel_values; outputs image_embeds)" },
      { role: "textEncoder", check: "probe", ok: false, detail: "text_embeds [1, 16] for 1 prompt(s) of 16 tokens; the manifest says dimension 8" },
      { role: "segmenter", check: "text dimension", ok: false, detail: "input text_embeds takes 16-d embeddings; the text encoder gives 8" },
      { role: "segmenter", check: "probe", ok: false, detail: expect.stringMatching(/^ONNX Runtime failed to run the model: Got invalid dimensions for input: text_embeds/) },
    ]);
  });

  it("refuses, at start, an image encoder whose embeddings are not the manifest's dimension", async () => {
    const wrong = await openModelPack(
      await edited("dimension", (m) => {
        m.imageEncoder.dimension = 12;
      }),
    );
    await expect(ClipEmbedder.fromPack(wrong, { workers: 1 })).rejects.toMatchObject({
      code: "models.interface",
      message: `${wrong.imageEncoder.path} gives 16-d embeddings; the manifest says 12`,
    });
  });

  it("fails a segmenter whose manifest lists a LoRA module the graph has no inputs for", async () => {
    const extra = await openModelPack(
      await edited("extra-module", (m) => {
        m.segmenter.loraModules.push({ name: "decoder.proj", in: 4, out: 4 });
      }),
    );
    const failed = (await checkModelPack(extra)).filter((c) => !c.ok);
    expect(failed).toEqual([
      {
        role: "segmenter",
        check: "names",
        ok: false,
        detail: expect.stringMatching(/^lacks input decoder\.proj\.lora_A\.weight, input decoder\.proj\.lora_B\.weight \(has inputs pixel_values, text_embeds, /),
      },
    ]);
  });
});
