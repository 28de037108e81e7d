import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureModelFiles } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateModels, ModelArtifactsError } from "./models.js";

describe("locateModels", () => {
  let root: string;
  let artifacts: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-endpoint-models-"));
    artifacts = path.join(root, "opt-ml-model");
    await ensureModelFiles(artifacts, "tiny");
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("uses the artifacts in the model folder as they are", async () => {
    const logs: string[] = [];
    const files = await locateModels({ dir: artifacts, cacheDir: path.join(root, "unused"), preset: "l14", log: (line) => logs.push(line) });
    expect(files.generated).toBe(false);
    expect(files.paths).toEqual({
      clipVision: path.join(artifacts, "clip-vision.onnx"),
      textEncoder: path.join(artifacts, "text-encoder.onnx"),
      segmentation: path.join(artifacts, "segmentation.onnx"),
    });
    // Whole, configs and seeds included: the sessions are configured from them.
    expect(files.manifest).toEqual(JSON.parse(await readFile(path.join(artifacts, "models.json"), "utf8")));
    expect(logs).toEqual([`models: tiny from ${artifacts}`]);
  });

  it("refuses artifacts that do not match their models.json", async () => {
    const broken = path.join(root, "broken");
    const { bytes } = (await ensureModelFiles(broken, "tiny")).manifest.segmentation;
    await truncate(path.join(broken, "segmentation.onnx"), 10);
    await expect(locateModels({ dir: broken, preset: "tiny", log: () => {} })).rejects.toThrow(
      new ModelArtifactsError(`${path.join(broken, "segmentation.onnx")} is 10 bytes; models.json says ${bytes}`),
    );
    await writeFile(path.join(broken, "models.json"), "{");
    await expect(locateModels({ dir: broken, preset: "tiny", log: () => {} })).rejects.toThrow(/models\.json is not valid JSON/);
  });

  it("refuses an unknown preset when it has to generate", async () => {
    await expect(locateModels({ dir: path.join(root, "empty"), cacheDir: path.join(root, "cache"), preset: "huge", log: () => {} })).rejects.toThrow(/unknown model preset "huge"/);
  });
});
