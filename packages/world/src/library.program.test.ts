import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAdapters } from "@semla/adapters";
import { denseDelta } from "@semla/core";
import { onnx } from "@semla/models";
import { type AdapterIndex, createPgliteAdapterIndex } from "@semla/registry";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitWorld } from "./fit/fit-world.js";
import { ensureWorldLibrary, type WorldLibrary, worldEmbeddingModelId } from "./library.js";
import { WORLD_TINY } from "./spec.js";

// The tiny world end to end through the registry: fitted once, then found again.
let dir: string;
let index: AdapterIndex;
let store: BlobStore;
let first: WorldLibrary;
const messages: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "semla-world-"));
  index = await createPgliteAdapterIndex();
  store = createFsBlobStore({ root: path.join(dir, "blobs") });
  first = await ensureWorldLibrary({ dataDir: dir, index, store, tenant: "demo", seed: 3, spec: WORLD_TINY, onProgress: (m) => messages.push(m) });
});

afterAll(async () => {
  await index?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ensureWorldLibrary", () => {
  it("registers one adapter per shifted domain, named after it, with its centroid, through the registry", async () => {
    expect(first.generated).toBe(true);
    const page = await index.listAdapters("demo", { libraryId: first.library.id, limit: 100 });
    expect(page.items.map((a) => a.name).sort()).toEqual([...WORLD_TINY.domains].sort());
    expect(page.items.every((a) => a.status === "active" && a.rank === WORLD_TINY.rank && a.centroid.length === first.library.dimension)).toBe(true);
    expect(first.library.embeddingModelId).toBe(worldEmbeddingModelId(first.models));
    expect(messages.some((m) => m.startsWith("registered 16 adapters"))).toBe(true);
  });

  it("stores exactly the fitted adapters: ΔW of the head module, rank-truncated", async () => {
    const fit = await fitWorld(WORLD_TINY, 3);
    const [fog] = (await index.listAdapters("demo", { libraryId: first.library.id, name: "fog", limit: 1 })).items;
    const stored = await createAdapters({ store }).load(fog!);
    expect(stored.modules.map((m) => m.name)).toEqual([onnx.HEAD_MODULE]);
    expect(denseDelta(stored.modules[0]!)).toEqual(denseDelta(fit.adapters.get("fog")!.modules[0]!));
  });

  it("writes a model pack the loaders read (the head as a LoRA target) and the test scenes as PNG files with label maps", async () => {
    const manifest = JSON.parse(await readFile(path.join(first.models.dir, "semla-models.json"), "utf8"));
    expect(manifest.generator.configs.segmentation.loraHead).toBe(true);
    expect(manifest.segmenter.id).toBe(first.library.baseModelId);
    expect(manifest.imageEncoder.id).toBe(first.library.embeddingModelId);
    expect(first.models.segmenter!.loraModules.at(-1)!.name).toBe(onnx.HEAD_MODULE);
    expect(first.testImages).toHaveLength(WORLD_TINY.domains.length * WORLD_TINY.testImages);
    const image = first.testImages.find((t) => t.domain === "fog+night")!;
    const meta = await sharp(image.path).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", WORLD_TINY.imageSize, WORLD_TINY.imageSize]);
    expect((await sharp(image.labelsPath).metadata()).channels).toBe(1);
    expect(first.classNames).toHaveLength(8);
  });

  it("finds everything on a second start without fitting again, and the same library", async () => {
    const progress: string[] = [];
    const again = await ensureWorldLibrary({ dataDir: dir, index, store, tenant: "demo", seed: 3, spec: WORLD_TINY, onProgress: (m) => progress.push(m) });
    expect(again.generated).toBe(false);
    expect(again.library.id).toBe(first.library.id);
    expect(again.models.generated).toBe(false);
    expect(progress).toEqual([]);
  });
});
