import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as onnx from "../onnx/index.js";
import { SEGMENTATION_PIXELS, SEGMENTATION_TEXT } from "../tensor-names.js";
import { defaultModelDir, ensureGeneratedPack, generatedConfigs, MODEL_FILE_NAMES } from "./generate.js";
import type { ModelPackManifest } from "./manifest.js";
import { openModelPack } from "./open-pack.js";

const sha256 = async (file: string) =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

describe("ensureGeneratedPack", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-models-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("generates the three models as a pack: files with sizes and sha256, the generator's configs and seeds, ids from the files' hashes", async () => {
    const dir = path.join(root, "tiny");
    const pack = await ensureGeneratedPack(dir, "tiny");
    expect(pack.generated).toBe(true);
    const manifest = JSON.parse(await readFile(path.join(dir, "semla-models.json"), "utf8")) as ModelPackManifest;
    expect(manifest).toEqual(pack.manifest);
    expect(manifest).toMatchObject({ format: "semla-models", version: 1, name: "semla generated tiny" });
    expect(manifest.generator).toEqual({
      version: onnx.MODEL_GENERATOR_VERSION,
      opset: 18,
      preset: "tiny",
      seeds: onnx.MODEL_PRESETS.tiny.seeds,
      configs: { clipVision: onnx.CLIP_VISION_TINY, textEncoder: onnx.TEXT_ENCODER_TINY, segmentation: onnx.SEGMENTATION_TINY },
    });
    expect(generatedConfigs(pack)).toEqual(onnx.MODEL_PRESETS.tiny);
    const files = [manifest.imageEncoder.file, (manifest.textEncoder as { file: { path: string } }).file, manifest.segmenter!.file];
    expect(files.map((f) => f.path)).toEqual(Object.values(MODEL_FILE_NAMES));
    for (const file of files) {
      expect(file).toEqual({ path: file.path, bytes: (await stat(path.join(dir, file.path))).size, sha256: await sha256(path.join(dir, file.path)) });
    }
    expect(manifest.imageEncoder).toMatchObject({
      id: `tiny/clip-vision@${manifest.imageEncoder.file.sha256.slice(0, 16)}`,
      dimension: 16,
      inputs: { pixels: "pixel_values" },
      outputs: { embeddings: "image_embeds" },
      normalize: true,
      externalData: [],
      preprocessing: {
        resize: { shortestEdge: 32 },
        resample: "bicubic",
        crop: { height: 32, width: 32 },
        rescaleFactor: 1 / 255,
        normalize: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
      },
    });
    expect(manifest.textEncoder).toMatchObject({
      kind: "onnx",
      dimension: 16,
      inputs: { ids: "input_ids", attentionMask: { name: "attention_mask", type: "float32" } },
      tokenizer: { kind: "semla-hashed", vocabularySize: 4096, contextLength: 16 },
      templates: ["{}"],
    });
    expect(manifest.segmenter).toMatchObject({
      id: `tiny/segmentation@${manifest.segmenter!.file.sha256.slice(0, 16)}`,
      preprocessing: { resize: { height: 32, width: 32 }, crop: null },
      loraModules: onnx.segmentationLoraModules(onnx.SEGMENTATION_TINY).map((m) => ({ name: m.name, in: m.inFeatures, out: m.outFeatures })),
    });
    expect(pack.segmenter!.imageSize).toBe(32);
  });

  it("writes the graphs the builders make, with the model's key and preset in the metadata", async () => {
    const files = await ensureGeneratedPack(path.join(root, "tiny"), "tiny");
    const preset = onnx.MODEL_PRESETS.tiny;
    const segmentation = onnx.buildSegmentationModel(preset.segmentation, preset.seeds.segmentation);
    const decoded = onnx.decodeModelProto(await readFile(files.segmenter!.path));
    expect(decoded.graph!.initializer!.length).toBe(segmentation.initializers.length);
    expect(Object.fromEntries(decoded.metadata_props!.map((p) => [p.key, p.value]))).toMatchObject({ "semla.model": "segmentation", "semla.preset": "tiny" });
    for (const file of Object.values(MODEL_FILE_NAMES)) {
      expect(onnx.decodeModelProto(await readFile(path.join(files.dir, file))).graph!.output).toHaveLength(1);
    }
  });

  it("reuses a folder whose manifest matches, without rewriting it", async () => {
    const dir = path.join(root, "reused");
    await ensureGeneratedPack(dir, "tiny");
    const before = (await stat(path.join(dir, "clip-vision.onnx"))).mtimeMs;
    const again = await ensureGeneratedPack(dir, "tiny", { verifyHashes: true });
    expect(again.generated).toBe(false);
    expect((await stat(path.join(dir, "clip-vision.onnx"))).mtimeMs).toBe(before);
  });

  it("regenerates when a seed or a config changes, or a file is damaged", async () => {
    const dir = path.join(root, "changing");
    const tiny = onnx.MODEL_PRESETS.tiny;
    expect((await ensureGeneratedPack(dir, tiny)).generated).toBe(true);
    const reseeded = await ensureGeneratedPack(dir, { ...tiny, seeds: { ...tiny.seeds, clipVision: 5 } });
    expect(reseeded.generated).toBe(true);
    expect(reseeded.manifest.generator?.seeds.clipVision).toBe(5);
    const reconfigured = { ...tiny, seeds: { ...tiny.seeds, clipVision: 5 }, textEncoder: { ...tiny.textEncoder, width: 24 } };
    expect((await ensureGeneratedPack(dir, reconfigured)).generated).toBe(true);
    expect((await ensureGeneratedPack(dir, reconfigured)).generated).toBe(false);
    await truncate(path.join(dir, "text-encoder.onnx"), 10);
    expect((await ensureGeneratedPack(dir, reconfigured)).generated).toBe(true);
  });

  it("keeps the weights of models over the threshold in <file>.data, and notices a damaged one", async () => {
    const inline = await ensureGeneratedPack(path.join(root, "tiny"), "tiny");
    const external = await ensureGeneratedPack(path.join(root, "external"), "tiny", { externalDataThresholdBytes: 0 });
    const entry = external.manifest.imageEncoder;
    expect(entry.externalData).toEqual([{ path: "clip-vision.onnx.data", bytes: expect.any(Number), sha256: await sha256(path.join(external.dir, "clip-vision.onnx.data")) }]);
    expect(entry.file.bytes).toBeLessThan(inline.manifest.imageEncoder.file.bytes / 4);
    // (That ONNX Runtime computes the same from both is inference's test: src/models/model-files.test.ts there.)
    await truncate(path.join(external.dir, "clip-vision.onnx.data"), 100);
    expect((await ensureGeneratedPack(external.dir, "tiny", { externalDataThresholdBytes: 0 })).generated).toBe(true);
  });

  it("refuses unknown presets and presets whose models do not fit together", async () => {
    await expect(ensureGeneratedPack(path.join(root, "x"), "huge" as "tiny")).rejects.toThrow(/unknown model preset "huge"/);
    const tiny = onnx.MODEL_PRESETS.tiny;
    await expect(ensureGeneratedPack(path.join(root, "y"), { ...tiny, segmentation: { ...tiny.segmentation, embedDim: 8 } })).rejects.toMatchObject({
      code: "onnx.config-invalid",
    });
  });

  it("defaults to the git-ignored .cache/models/<preset> of the repository", () => {
    expect(defaultModelDir("b16")).toMatch(/[/\\]\.cache[/\\]models[/\\]b16$/);
    expect(path.dirname(path.dirname(path.dirname(defaultModelDir("b16"))))).toBe(path.resolve(import.meta.dirname, "../../../.."));
  });
});

describe("custom graphs (a variant) and openModelPack", () => {
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
    const first = await ensureGeneratedPack(dir, "tiny", { custom: { variant: "fit-a", graphs: { segmentation: graph } } });
    expect(first.manifest.generator?.variant).toBe("fit-a");
    expect(onnx.decodeModelProto(await readFile(first.segmenter!.path)).graph!.input.map((i) => i.name)).toEqual([SEGMENTATION_PIXELS, SEGMENTATION_TEXT]);
    expect((await ensureGeneratedPack(dir, "tiny", { custom: { variant: "fit-a", graphs: { segmentation: graph } } })).generated).toBe(false);
    expect(built).toBe(1);
    // A plain preset (no variant) or another variant does not take the fitted folder for its own.
    expect((await ensureGeneratedPack(dir, "tiny")).generated).toBe(true);
    expect((await ensureGeneratedPack(dir, "tiny", { custom: { variant: "fit-b", graphs: { segmentation: graph } } })).generated).toBe(true);
    expect(built).toBe(2);
  });

  it("openModelPack reads a folder as it is, and refuses one without its models", async () => {
    const dir = path.join(root, "fitted");
    const opened = await openModelPack(dir);
    expect(opened.manifest.generator?.variant).toBe("fit-b");
    await expect(openModelPack(path.join(root, "absent"))).rejects.toThrow(/holds no readable semla-models.json/);
    const text = path.join(dir, MODEL_FILE_NAMES.textEncoder);
    const { bytes } = (opened.manifest.textEncoder as { file: { bytes: number } }).file;
    await truncate(text, 10);
    await expect(openModelPack(dir)).rejects.toMatchObject({
      code: "models.file",
      message: `${text} (textEncoder.file) is 10 bytes; semla-models.json says ${bytes}`,
    });
  });
});
