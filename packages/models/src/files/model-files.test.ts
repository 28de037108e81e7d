import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as onnx from "../onnx/index.js";
import { SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "../tensor-names.js";
import { defaultModelDir, ensureModelFiles, MODEL_FILE_NAMES, type ModelsManifest } from "./model-files.js";
import { openModelFiles } from "./open-model-files.js";

const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

describe("ensureModelFiles", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-models-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("generates the three models and a models.json with their configs, seeds, sizes and sha256", async () => {
    const dir = path.join(root, "tiny");
    const files = await ensureModelFiles(dir, "tiny");
    expect(files.generated).toBe(true);
    expect(files.paths).toEqual({
      clipVision: path.join(dir, "clip-vision.onnx"),
      textEncoder: path.join(dir, "text-encoder.onnx"),
      segmentation: path.join(dir, "segmentation.onnx"),
    });
    const manifest = JSON.parse(await readFile(path.join(dir, "models.json"), "utf8")) as ModelsManifest;
    expect(manifest).toEqual(files.manifest);
    expect(manifest.generator).toBe(onnx.MODEL_GENERATOR_VERSION);
    expect(manifest.opset).toBe(18);
    expect(manifest.preset).toBe("tiny");
    expect(manifest.clipVision.config).toEqual(onnx.CLIP_VISION_TINY);
    expect(manifest.clipVision.config.imageMean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(manifest.segmentation.seed).toBe(onnx.MODEL_PRESETS.tiny.seeds.segmentation);
    for (const key of ["clipVision", "textEncoder", "segmentation"] as const) {
      const entry = manifest[key];
      expect(entry.file).toBe(MODEL_FILE_NAMES[key]);
      expect(entry.externalData).toBeNull();
      expect(entry.bytes).toBe((await stat(files.paths[key])).size);
      expect(entry.sha256).toBe(await sha256(files.paths[key]));
    }
  });

  it("writes the graphs the builders make, with the model's key and preset in the metadata", async () => {
    const files = await ensureModelFiles(path.join(root, "tiny"), "tiny");
    const preset = onnx.MODEL_PRESETS.tiny;
    const segmentation = onnx.buildSegmentationModel(preset.segmentation, preset.seeds.segmentation);
    const decoded = onnx.decodeModelProto(await readFile(files.paths.segmentation));
    expect(decoded.graph!.initializer!.length).toBe(segmentation.initializers.length);
    expect(Object.fromEntries(decoded.metadata_props!.map((p) => [p.key, p.value]))).toMatchObject({ "semla.model": "segmentation", "semla.preset": "tiny" });
    for (const key of ["clipVision", "textEncoder", "segmentation"] as const) {
      expect(onnx.decodeModelProto(await readFile(files.paths[key])).graph!.output).toHaveLength(1);
    }
  });

  it("reuses a folder whose manifest matches, without rewriting it", async () => {
    const dir = path.join(root, "reused");
    await ensureModelFiles(dir, "tiny");
    const before = (await stat(path.join(dir, "clip-vision.onnx"))).mtimeMs;
    const again = await ensureModelFiles(dir, "tiny", { verifyHashes: true });
    expect(again.generated).toBe(false);
    expect((await stat(path.join(dir, "clip-vision.onnx"))).mtimeMs).toBe(before);
  });

  it("regenerates when a seed or a config changes, or a file is damaged", async () => {
    const dir = path.join(root, "changing");
    const tiny = onnx.MODEL_PRESETS.tiny;
    expect((await ensureModelFiles(dir, tiny)).generated).toBe(true);
    const reseeded = await ensureModelFiles(dir, { ...tiny, seeds: { ...tiny.seeds, clipVision: 5 } });
    expect(reseeded.generated).toBe(true);
    expect(reseeded.manifest.clipVision.seed).toBe(5);
    const reconfigured = { ...tiny, seeds: { ...tiny.seeds, clipVision: 5 }, textEncoder: { ...tiny.textEncoder, width: 24 } };
    expect((await ensureModelFiles(dir, reconfigured)).generated).toBe(true);
    expect((await ensureModelFiles(dir, reconfigured)).generated).toBe(false);
    await truncate(path.join(dir, "text-encoder.onnx"), 10);
    expect((await ensureModelFiles(dir, reconfigured)).generated).toBe(true);
  });

  it("keeps the weights of models over the threshold in <file>.data, and notices a damaged one", async () => {
    const inline = await ensureModelFiles(path.join(root, "tiny"), "tiny");
    const external = await ensureModelFiles(path.join(root, "external"), "tiny", { externalDataThresholdBytes: 0 });
    const entry = external.manifest.clipVision;
    expect(entry.externalData).toMatchObject({ file: "clip-vision.onnx.data" });
    expect(entry.externalData!.sha256).toBe(await sha256(path.join(external.dir, "clip-vision.onnx.data")));
    expect(entry.bytes).toBeLessThan(inline.manifest.clipVision.bytes / 4);
    // (That ONNX Runtime computes the same from both is inference's test: src/models/model-files.test.ts there.)
    await truncate(path.join(external.dir, "clip-vision.onnx.data"), 100);
    expect((await ensureModelFiles(external.dir, "tiny", { externalDataThresholdBytes: 0 })).generated).toBe(true);
  });

  it("refuses unknown presets and presets whose models do not fit together", async () => {
    await expect(ensureModelFiles(path.join(root, "x"), "huge" as "tiny")).rejects.toThrow(/unknown model preset "huge"/);
    const tiny = onnx.MODEL_PRESETS.tiny;
    await expect(ensureModelFiles(path.join(root, "y"), { ...tiny, segmentation: { ...tiny.segmentation, embedDim: 8 } })).rejects.toMatchObject({
      code: "onnx.config-invalid",
    });
  });

  it("defaults to the git-ignored .cache/models/<preset> of the repository", () => {
    expect(defaultModelDir("b16")).toMatch(/[/\\]\.cache[/\\]models[/\\]b16$/);
    expect(path.dirname(path.dirname(path.dirname(defaultModelDir("b16"))))).toBe(path.resolve(import.meta.dirname, "../../../.."));
  });
});

describe("custom graphs (a variant) and openModelFiles", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-models-variant-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("write the given graph, record the variant, and reuse a folder only for the same variant", async () => {
    const dir = path.join(root, "fitted");
    const { segmentation, seeds } = onnx.MODEL_PRESETS.tiny;
    let built = 0;
    const graph = () => (built++, onnx.buildSegmentationModel(segmentation, seeds.segmentation, { loraInputs: false }));
    const first = await ensureModelFiles(dir, "tiny", { custom: { variant: "fit-a", graphs: { segmentation: graph } } });
    expect(first.manifest.variant).toBe("fit-a");
    expect(onnx.decodeModelProto(await readFile(first.paths.segmentation)).graph!.input.map((i) => i.name)).toEqual([SEGMENTATION_PIXELS, SEGMENTATION_TEXT]);
    expect((await ensureModelFiles(dir, "tiny", { custom: { variant: "fit-a", graphs: { segmentation: graph } } })).generated).toBe(false);
    expect(built).toBe(1);
    // A plain preset (no variant) or another variant does not take the fitted folder for its own.
    expect((await ensureModelFiles(dir, "tiny")).generated).toBe(true);
    expect((await ensureModelFiles(dir, "tiny", { custom: { variant: "fit-b", graphs: { segmentation: graph } } })).generated).toBe(true);
    expect(built).toBe(2);
  });

  it("openModelFiles reads a folder as it is, and refuses one without its models", async () => {
    const dir = path.join(root, "fitted");
    const opened = await openModelFiles(dir);
    expect(opened.manifest.variant).toBe("fit-b");
    expect(opened.generated).toBe(false);
    await expect(openModelFiles(path.join(root, "absent"))).rejects.toThrow(/holds no readable models.json/);
    await truncate(opened.paths.textEncoder, 10);
    await expect(openModelFiles(dir)).rejects.toMatchObject({
      code: "models.invalid-artifacts",
      message: `${opened.paths.textEncoder} is 10 bytes; models.json says ${opened.manifest.textEncoder.bytes}`,
    });
  });
});
