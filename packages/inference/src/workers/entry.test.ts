import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT } from "@semla/models";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyModelFiles } from "../testing/tiny-models.js";
import { ortWorkerEntry, workerEntry } from "./entry.js";
import { OrtWorkerPool } from "./pool.js";

const here = path.dirname(fileURLToPath(import.meta.url));

describe("workerEntry", () => {
  it("starts a .js entry directly", () => {
    const entry = workerEntry("/srv/app/ort-worker.js");
    expect(entry).toEqual({ filename: pathToFileURL("/srv/app/ort-worker.js"), script: pathToFileURL("/srv/app/ort-worker.js"), eval: false });
  });

  it("starts a .ts entry through a bootstrap that registers tsx in the worker, then imports it", () => {
    const entry = workerEntry(new URL("file:///repo/src/workers/ort-worker.ts"));
    expect(entry.eval).toBe(true);
    expect(entry.script).toMatch(
      /^import\("file:\/\/\/.*\/tsx\/dist\/esm\/api\/index\.mjs"\)\.then\(\(tsx\) => \{ tsx\.register\(\); return import\("file:\/\/\/repo\/src\/workers\/ort-worker\.ts"\); \}\);$/,
    );
  });

  it("finds ort-worker.ts next to it when running from source", () => {
    expect(ortWorkerEntry().filename.href).toBe(pathToFileURL(path.join(here, "ort-worker.ts")).href);
  });
});

describe("a bundled worker (no TypeScript loader)", () => {
  let models: Awaited<ReturnType<typeof tinyModelFiles>>;
  let out: string;

  beforeAll(async () => {
    models = await tinyModelFiles();
    // Inside the repository, so that the bundle resolves onnxruntime-node (external: native code) from node_modules.
    out = await mkdtemp(path.join(here, ".bundle-test-"));
    await build({
      entryPoints: [path.join(here, "ort-worker.ts")],
      outfile: path.join(out, "ort-worker.js"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["onnxruntime-node"],
      // Bundled CommonJS dependencies call require(): give the ESM bundle one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: "silent",
    });
  }, 60_000);

  afterAll(async () => {
    await models?.remove();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("runs the model exactly as the worker loaded from source", async () => {
    const bundled = await OrtWorkerPool.create({ models: { clip: models.paths.clipVision }, workerEntry: path.join(out, "ort-worker.js"), intraOpThreads: 1 });
    const source = await OrtWorkerPool.create({ models: { clip: models.paths.clipVision }, intraOpThreads: 1 });
    try {
      const input = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => ((i * 7919) % 255) / 128 - 1);
      const feeds = () => ({ [CLIP_VISION_INPUT]: { type: "float32" as const, data: input.slice(), dims: [2, 3, 32, 32] } });
      const a = await bundled.run("clip", feeds());
      const b = await source.run("clip", feeds());
      expect(a.outputs[CLIP_VISION_OUTPUT]!.dims).toEqual([2, 16]);
      expect(Array.from(a.outputs[CLIP_VISION_OUTPUT]!.data)).toEqual(Array.from(b.outputs[CLIP_VISION_OUTPUT]!.data));
    } finally {
      await Promise.all([bundled.close(), source.close()]);
    }
  });
});
