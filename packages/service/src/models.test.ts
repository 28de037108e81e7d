import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureGeneratedPack } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePack, locateModels, ModelPackError } from "./models.js";

describe("locateModels", () => {
  let root: string;
  let artifacts: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-models-"));
    artifacts = path.join(root, "opt-ml-model");
    await ensureGeneratedPack(artifacts, "tiny");
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("uses the artifacts in the model folder as they are", async () => {
    const logs: string[] = [];
    const files = await locateModels({ dir: artifacts, cacheDir: path.join(root, "unused"), preset: "l14", log: (line) => logs.push(line) });
    expect([files.imageEncoder.path, (files.textEncoder as { path: string }).path, files.segmenter?.path]).toEqual([
      path.join(artifacts, "clip-vision.onnx"),
      path.join(artifacts, "text-encoder.onnx"),
      path.join(artifacts, "segmentation.onnx"),
    ]);
    // Whole: the sessions are configured from it.
    expect(files.manifest).toEqual(JSON.parse(await readFile(path.join(artifacts, "semla-models.json"), "utf8")));
    expect(logs).toEqual([`models: ${describePack(files)} from ${artifacts}`]);
    expect(describePack(files)).toBe(
      `semla generated tiny: image encoder ${files.imageEncoder.id} (16-d), text encoder, segmenter ${files.segmenter?.id} (${files.segmenter?.loraModules.length} LoRA modules)`,
    );
  });

  it("refuses a pack that does not match its manifest, and a named folder that holds none", async () => {
    const broken = path.join(root, "broken");
    const { bytes } = (await ensureGeneratedPack(broken, "tiny")).manifest.segmenter!.file;
    await truncate(path.join(broken, "segmentation.onnx"), 10);
    await expect(locateModels({ dir: broken, preset: "tiny", log: () => {} })).rejects.toMatchObject({
      constructor: ModelPackError,
      code: "models.file",
      kind: "internal",
      message: `${path.join(broken, "segmentation.onnx")} (segmenter.file) is 10 bytes; semla-models.json says ${bytes}`,
    });
    await writeFile(path.join(broken, "semla-models.json"), "{");
    await expect(locateModels({ dir: broken, preset: "tiny", log: () => {} })).rejects.toThrow(/semla-models\.json is not valid JSON/);
    const empty = path.join(root, "named-but-empty");
    await expect(locateModels({ dir: empty, required: true, preset: "tiny", log: () => {} })).rejects.toThrow(`${empty} holds no readable semla-models.json`);
  });

  it("refuses an unknown preset when it has to generate", async () => {
    await expect(locateModels({ dir: path.join(root, "empty"), cacheDir: path.join(root, "cache"), preset: "huge", log: () => {} })).rejects.toThrow(/unknown model preset "huge"/);
  });
});
