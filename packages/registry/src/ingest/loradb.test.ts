import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numpy } from "@semla/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LibraryRecord } from "../db/adapter-index.js";
import { adapterFiles, axis, type Backends, embeddedBackends } from "../testing/harness.js";
import { importLoraDb } from "./loradb.js";

/** A SemLA reference library folder: loradb/<domain>/{adapter_config.json, adapter_model.safetensors, <domain>_statistics.npz}. */
async function writeLoraDb(root: string, domains: Record<string, { seed: number; centroid: Float32Array; skip?: string }>): Promise<void> {
  for (const [domain, { seed, centroid, skip }] of Object.entries(domains)) {
    const folder = join(root, domain);
    await mkdir(folder, { recursive: true });
    const files = adapterFiles(seed);
    if (skip !== "config") await writeFile(join(folder, "adapter_config.json"), files.config);
    await writeFile(join(folder, "adapter_model.safetensors"), files.weights);
    const statistics = numpy.writeNpz({
      train_average_embedding: { shape: [1, centroid.length], data: centroid },
      train_std: { shape: [1, centroid.length], data: new Float32Array(centroid.length).fill(1) },
    });
    await writeFile(join(folder, `${domain}_statistics.npz`), statistics);
  }
}

describe("importing a SemLA loradb folder", () => {
  let backends: Backends;
  let library: LibraryRecord;
  let root = "";

  beforeAll(async () => {
    backends = await embeddedBackends();
    library = await backends.index.createLibrary({ tenant: "t", name: "semla", baseModelId: "catseg-test", embeddingModelId: "clip-vit-l-14", dimension: 3, metric: "euclidean" });
    root = await mkdtemp(join(tmpdir(), "loradb-"));
    await writeLoraDb(root, {
      cityscapes: { seed: 1, centroid: axis(3, 0) },
      acdc_fog: { seed: 2, centroid: axis(3, 1) },
      broken: { seed: 3, centroid: axis(3, 2), skip: "config" },
      wrong_dim: { seed: 4, centroid: new Float32Array(4) },
    });
  });
  afterAll(async () => {
    await backends.close();
    await rm(root, { recursive: true, force: true });
  });

  it("registers one adapter per domain with its statistics centroid; a bad domain fails alone", async () => {
    const progress: string[] = [];
    const items = await importLoraDb(backends, root, { tenant: "t", libraryId: library.id, onItem: (item, done, total) => progress.push(`${done}/${total} ${item.domain}`) });
    expect(items.map((i) => [i.domain, i.status, i.error?.code])).toEqual([
      ["acdc_fog", "created", undefined],
      ["broken", "failed", "ENOENT"],
      ["cityscapes", "created", undefined],
      ["wrong_dim", "failed", "centroid.dimension-mismatch"],
    ]);
    expect(progress).toEqual(["1/4 acdc_fog", "2/4 broken", "3/4 cityscapes", "4/4 wrong_dim"]);
    const nearest = await backends.index.nearest(library.id, axis(3, 1), { k: 5 });
    expect(nearest.map((n) => [n.name, n.distance])).toEqual([
      ["acdc_fog", 0],
      ["cityscapes", Math.SQRT2],
    ]);
  });

  it("is idempotent: importing the same folder again creates nothing", async () => {
    const items = await importLoraDb(backends, root, { tenant: "t", libraryId: library.id });
    expect(items.filter((i) => i.status !== "failed").map((i) => [i.domain, i.status, i.version])).toEqual([
      ["acdc_fog", "existing", 1],
      ["cityscapes", "existing", 1],
    ]);
  });
});
