import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readFloatNpy, readInt64Npy, readTorchExportJson, TORCH_EXPORT_DIR, torchExportFile } from "../testing/fixtures.js";

describe("the torch-export fixtures (packages/models/fixtures/torch-export)", () => {
  it("are the files generate.py wrote: every one listed in manifest.json with its size and sha256", async () => {
    const manifest = await readTorchExportJson<Record<string, { bytes: number; sha256: string }>>("manifest.json");
    const present = (await readdir(TORCH_EXPORT_DIR)).filter((f) => !f.endsWith(".py") && !f.endsWith(".md") && f !== "manifest.json").sort();
    expect(Object.keys(manifest).sort()).toEqual(present);
    for (const [name, { bytes, sha256 }] of Object.entries(manifest)) {
      const content = await readFile(torchExportFile(name));
      expect([name, content.byteLength, createHash("sha256").update(content).digest("hex")]).toEqual([name, bytes, sha256]);
      expect(content.byteLength, name).toBeLessThan(256 * 1024);
    }
  });

  it("hold arrays of the shapes the README gives", async () => {
    const shapes: Record<string, number[]> = {
      "vision-pixels.npy": [2, 3, 32, 32],
      "vision-image-embeds.npy": [2, 16],
      "text-embeds.npy": [4, 16],
      "image-pixels.npy": [1, 3, 32, 32],
      "image-pixels.noncrop.npy": [1, 3, 24, 36],
      "image-pixels.enlarge.npy": [1, 3, 56, 60],
      "image-embeds-from-png.npy": [1, 16],
      "segmenter-pixels.npy": [1, 3, 32, 32],
      "segmenter-text-embeds.npy": [3, 16],
      "segmenter-logits.npy": [1, 3, 8, 8],
    };
    for (const [name, shape] of Object.entries(shapes)) expect([name, (await readFloatNpy(name)).shape]).toEqual([name, shape]);
    for (const name of ["text-input-ids.npy", "text-attention-mask.npy"]) expect([name, (await readInt64Npy(name)).shape]).toEqual([name, [4, 16]]);
  });
});
