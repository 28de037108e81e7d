import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { numpy } from "@semla/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImagePreprocessing } from "../preprocessing/image-preprocessing.js";
import { modelPackJsonSchemaText } from "./json-schema.js";
import type { ModelPackManifestInput, PackFile } from "./manifest.js";
import { openModelPack, requireSegmenter } from "./open-pack.js";
import { writePackFile, writePackManifest } from "./write-pack.js";

// openModelPack checks a manifest against its schema and its files before any model is loaded; the
// model files' contents are ONNX Runtime's to judge (inference's pack check), so stand-in bytes do here.

const bytesOf = (text: string) => ({ parts: [new TextEncoder().encode(text)], byteLength: new TextEncoder().encode(text).byteLength });

const PREPROCESSING: ImagePreprocessing = {
  resize: { shortestEdge: 32 },
  resample: "bicubic",
  crop: { height: 32, width: 32 },
  rescaleFactor: 1 / 255,
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
};

describe("openModelPack", () => {
  let root: string;
  let n = 0;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-open-pack-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** A folder with stand-in model files and a manifest built from them by `edit`. */
  async function pack(edit: (files: Record<string, PackFile>) => ModelPackManifestInput, extra: Record<string, string> = {}): Promise<string> {
    const dir = path.join(root, `pack-${n++}`);
    const files: Record<string, PackFile> = {};
    for (const name of ["image.onnx", "text.onnx", "segmenter.onnx", ...Object.keys(extra)]) files[name] = await writePackFile(dir, name, bytesOf(extra[name] ?? `${name} bytes`));
    const manifest = edit(files);
    await writeFile(path.join(dir, "semla-models.json"), JSON.stringify(manifest));
    return dir;
  }

  const imageEncoder = (files: Record<string, PackFile>) => ({ id: "acme/clip", file: files["image.onnx"]!, dimension: 4, preprocessing: PREPROCESSING });

  it("opens an image-encoder-only pack, filling in a standard export's names", async () => {
    const dir = await pack((files) => ({ format: "semla-models", version: 1, imageEncoder: imageEncoder(files) }));
    const opened = await openModelPack(dir);
    expect(opened.imageEncoder).toMatchObject({
      id: "acme/clip",
      path: path.join(dir, "image.onnx"),
      inputs: { pixels: "pixel_values" },
      outputs: { embeddings: "image_embeds" },
      dimension: 4,
      normalize: true,
      preprocessing: PREPROCESSING,
    });
    expect([opened.textEncoder, opened.segmenter]).toEqual([null, null]);
    expect(() => requireSegmenter(opened)).toThrow(
      expect.objectContaining({ code: "models.missing-model", message: `the model pack in ${dir} has no segmenter or text encoder: segmentation needs both (it can route and embed only)` }),
    );
  });

  it("refuses a file whose sha256 or size is not the manifest's, naming the file and the field (sizes only when told to trust hashes)", async () => {
    const dir = await pack((files) => ({ format: "semla-models", version: 1, imageEncoder: { ...imageEncoder(files), file: { ...files["image.onnx"]!, sha256: "0".repeat(64) } } }));
    const file = path.join(dir, "image.onnx");
    expect((await openModelPack(dir, { verify: "size" })).imageEncoder.path).toBe(file);
    await expect(openModelPack(dir)).rejects.toMatchObject({
      code: "models.file",
      message: expect.stringMatching(new RegExp(`^${file} \\(imageEncoder\\.file\\) has sha256 [0-9a-f]{64}; semla-models\\.json says 0{64}$`)),
      details: { field: "imageEncoder.file", expected: "0".repeat(64) },
    });
    const missing = await pack((files) => ({ format: "semla-models", version: 1, imageEncoder: { ...imageEncoder(files), externalData: [{ ...files["text.onnx"]!, path: "weights.data" }] } }));
    await expect(openModelPack(missing)).rejects.toMatchObject({ code: "models.file", message: `${path.join(missing, "weights.data")} (imageEncoder.externalData[0]) is missing` });
  });

  it("refuses a manifest that is not the schema, naming the field", async () => {
    const cases: [string, (files: Record<string, PackFile>) => unknown, RegExp][] = [
      ["no dimension", (files) => ({ format: "semla-models", version: 1, imageEncoder: { ...imageEncoder(files), dimension: undefined } }), /imageEncoder\.dimension/],
      ["another version", (files) => ({ format: "semla-models", version: 2, imageEncoder: imageEncoder(files) }), /version/],
      [
        "a path out of the folder",
        (files) => ({ format: "semla-models", version: 1, imageEncoder: { ...imageEncoder(files), file: { ...files["image.onnx"]!, path: "../image.onnx" } } }),
        /imageEncoder\.file\.path.*plain file name/,
      ],
      ["an unknown field", (files) => ({ format: "semla-models", version: 1, imageEncoder: imageEncoder(files), extra: true }), /extra/],
      [
        "a segmenter without a text encoder",
        (files) => ({ format: "semla-models", version: 1, imageEncoder: imageEncoder(files), segmenter: { id: "acme/seg", file: files["segmenter.onnx"]!, preprocessing: PREPROCESSING } }),
        /textEncoder.*a pack with a segmenter needs a text encoder/,
      ],
      [
        "a template without {}",
        (files) => ({
          format: "semla-models",
          version: 1,
          imageEncoder: imageEncoder(files),
          textEncoder: { kind: "onnx", file: files["text.onnx"]!, dimension: 4, tokenizer: { kind: "semla-hashed", vocabularySize: 64, contextLength: 8 }, templates: ["a photo"] },
        }),
        /templates\.0.*holds \{\} exactly once/,
      ],
    ];
    for (const [, manifest, message] of cases) {
      const dir = await pack(manifest as (files: Record<string, PackFile>) => ModelPackManifestInput);
      await expect(openModelPack(dir)).rejects.toMatchObject({ code: "models.manifest", message: expect.stringMatching(message) });
    }
    const broken = await pack((files) => ({ format: "semla-models", version: 1, imageEncoder: imageEncoder(files) }));
    await writeFile(path.join(broken, "semla-models.json"), "{");
    await expect(openModelPack(broken)).rejects.toMatchObject({ code: "models.manifest", message: expect.stringMatching(/semla-models\.json is not valid JSON/) });
  });

  it("names the old models.json format when a folder holds it instead of a manifest", async () => {
    const dir = path.join(root, "old");
    await writePackFile(dir, "models.json", bytesOf("{}"));
    await expect(openModelPack(dir)).rejects.toMatchObject({ code: "models.manifest", message: expect.stringContaining(`${dir} holds models.json, the models format before packs`) });
  });

  it("refuses preprocessing that gives no fixed size, and a segmenter that crops", async () => {
    const loose = await pack((files) => ({ format: "semla-models", version: 1, imageEncoder: { ...imageEncoder(files), preprocessing: { ...PREPROCESSING, crop: null } } }));
    await expect(openModelPack(loose)).rejects.toMatchObject({ code: "models.preprocessing", message: expect.stringContaining("imageEncoder: the preprocessing must give a fixed size") });
    const cropping = await pack((files) => ({
      format: "semla-models",
      version: 1,
      imageEncoder: imageEncoder(files),
      textEncoder: { kind: "onnx", file: files["text.onnx"]!, dimension: 4, tokenizer: { kind: "semla-hashed", vocabularySize: 64, contextLength: 8 } },
      segmenter: { id: "acme/seg", file: files["segmenter.onnx"]!, preprocessing: PREPROCESSING },
    }));
    await expect(openModelPack(cropping)).rejects.toMatchObject({
      code: "models.preprocessing",
      message: expect.stringContaining("segmenter: the preprocessing must resize to a square height × width with no center crop"),
    });
  });

  it("reads a closed vocabulary's table, L2-normalising its rows, and refuses one that does not match its names", async () => {
    const npy = numpy.writeNpy([2, 2], Float32Array.from([3, 4, 0, 2]));
    const dir = path.join(root, "table");
    const files = {
      image: await writePackFile(dir, "image.onnx", bytesOf("image")),
      embeddings: await writePackFile(dir, "classes.npy", { parts: [npy], byteLength: npy.byteLength }),
      names: await writePackFile(dir, "classes.json", bytesOf(JSON.stringify(["road", "sky"]))),
    };
    const manifest = (names: PackFile, dimension = 2): ModelPackManifestInput => ({
      format: "semla-models",
      version: 1,
      imageEncoder: { id: "acme/clip", file: files.image, dimension: 4, preprocessing: PREPROCESSING },
      textEncoder: { kind: "table", embeddings: files.embeddings, names, dimension },
    });
    await writePackManifest(dir, manifest(files.names));
    const opened = await openModelPack(dir);
    expect(opened.textEncoder).toEqual({ kind: "table", dimension: 2, names: ["road", "sky"], embeddings: Float32Array.from([0.6, 0.8, 0, 1]) });

    await writePackManifest(dir, manifest(files.names, 3));
    await expect(openModelPack(dir)).rejects.toMatchObject({
      code: "models.class-table",
      message: `${path.join(dir, "classes.npy")} has shape (2, 2); semla-models.json and classes.json need (2, 3)`,
    });
    const twice = await writePackFile(dir, "twice.json", bytesOf(JSON.stringify(["road", "road"])));
    await writePackManifest(dir, manifest(twice));
    await expect(openModelPack(dir)).rejects.toMatchObject({ code: "models.class-table", message: `${path.join(dir, "twice.json")} names a class twice` });
  });
});

describe("the manifest's JSON Schema", () => {
  it("is the committed packages/models/schemas/semla-models.schema.json (regenerate with npm run schemas)", async () => {
    const committed = await readFile(path.resolve(import.meta.dirname, "../../schemas/semla-models.schema.json"), "utf8");
    expect(committed).toBe(modelPackJsonSchemaText());
    const schema = JSON.parse(committed);
    expect(schema.required).toEqual(["format", "version", "imageEncoder"]);
    expect(schema.properties.imageEncoder.required).toEqual(["id", "file", "dimension", "preprocessing"]);
  });
});
