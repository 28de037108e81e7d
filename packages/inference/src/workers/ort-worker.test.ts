import { CLIP_VISION_INPUT, CLIP_VISION_OUTPUT } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession } from "../runtime/ort.js";
import { tinyModelFiles } from "../testing/tiny-models.js";
import { OrtWorkerPool } from "./pool.js";

/** The real worker (ort-worker.ts, loaded from source through tsx) running the tiny CLIP vision model. */

let models: Awaited<ReturnType<typeof tinyModelFiles>>;
let pool: OrtWorkerPool;

beforeAll(async () => {
  models = await tinyModelFiles();
  pool = await OrtWorkerPool.create({ models: { clip: models.paths.clipVision }, intraOpThreads: 1 });
});

afterAll(async () => {
  await pool?.close();
  await models?.remove();
});

function pixels(batch: number, seed = 1): Float32Array {
  const data = new Float32Array(batch * 3 * 32 * 32);
  let state = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 2 ** 31 - 1;
  }
  return data;
}

/** Runs `work` while a 1 ms interval ticks: the longest gap between ticks, and how many ticks fired. */
async function tickDuring(work: () => Promise<unknown>): Promise<{ maxGap: number; ticks: number }> {
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    await new Promise((r) => setTimeout(r, 20));
    last = performance.now();
    maxGap = 0;
    ticks = 0;
    await work();
    return { maxGap: Math.max(maxGap, performance.now() - last), ticks };
  } finally {
    clearInterval(timer);
  }
}

describe("ort-worker", () => {
  it("reports the model's inputs and outputs and gives the same embeddings as a main-thread session", async () => {
    expect(pool.models).toEqual({ clip: { inputNames: [CLIP_VISION_INPUT], outputNames: [CLIP_VISION_OUTPUT] } });
    const input = pixels(3);
    const session = await createOrtSession(models.paths.clipVision, { intraOpThreads: 1 });
    const direct = await session.run({ [CLIP_VISION_INPUT]: { type: "float32", data: input, dims: [3, 3, 32, 32] } });
    await session.release();
    const viaWorker = await pool.run("clip", { [CLIP_VISION_INPUT]: { type: "float32", data: input, dims: [3, 3, 32, 32] } });
    expect(viaWorker.outputs[CLIP_VISION_OUTPUT]!.dims).toEqual([3, 16]);
    expect(Array.from(viaWorker.outputs[CLIP_VISION_OUTPUT]!.data)).toEqual(Array.from(direct[CLIP_VISION_OUTPUT]!.data));
    expect(input.byteLength).toBe(0); // transferred
    expect(viaWorker.runMs).toBeGreaterThan(0);
  });

  it("keeps the event loop responsive during a long inference, unlike a main-thread session", async () => {
    const batch = 4096; // ≈ 50 MB of pixels: a few hundred ms on one thread
    const template = pixels(batch);
    // Inputs are made before measuring (transfer detaches them, so one copy per run).
    const feeds = () => ({ [CLIP_VISION_INPUT]: { type: "float32" as const, data: template.slice(), dims: [batch, 3, 32, 32] } });
    const session = await createOrtSession(models.paths.clipVision, { intraOpThreads: 1 });
    await session.run(feeds()); // warm-up: allocations and kernel selection
    await pool.run("clip", feeds());

    let mainRunMs = 0;
    const mainFeeds = feeds();
    const main = await tickDuring(async () => {
      const started = performance.now();
      await session.run(mainFeeds);
      mainRunMs = performance.now() - started;
    });
    await session.release();
    let workerRunMs = 0;
    const workerFeeds = feeds();
    const worker = await tickDuring(async () => {
      workerRunMs = (await pool.run("clip", workerFeeds)).runMs;
    });

    console.log(
      `event loop during one ${batch}-image inference: main thread max gap ${main.maxGap.toFixed(1)} ms, ${main.ticks} ticks ` +
        `(run ${mainRunMs.toFixed(1)} ms); worker max gap ${worker.maxGap.toFixed(1)} ms, ${worker.ticks} ticks (run ${workerRunMs.toFixed(1)} ms)`,
    );
    // On the main thread session.run() holds the thread throughout: the 1 ms timer cannot fire
    // in between. In a worker it keeps firing. (Counts, not durations: CI machines are shared.)
    expect(main.ticks).toBeLessThanOrEqual(2);
    expect(worker.ticks).toBeGreaterThanOrEqual(5);
  });

  it("an ONNX Runtime error fails that request (worker.run-failed) and the worker carries on", async () => {
    const wrong = pool.run("clip", { [CLIP_VISION_INPUT]: { type: "float32", data: new Float32Array(3 * 16 * 16), dims: [1, 3, 16, 16] } });
    await expect(wrong).rejects.toMatchObject({ code: "worker.run-failed" });
    await expect(wrong).rejects.toThrow(/^inference of clip failed: ONNX Runtime failed to run the model: /);
    const ok = await pool.run("clip", { [CLIP_VISION_INPUT]: { type: "float32", data: pixels(1), dims: [1, 3, 32, 32] } });
    expect(ok.outputs[CLIP_VISION_OUTPUT]!.dims).toEqual([1, 16]);
    expect(pool.respawns).toBe(0);
  });

  it("a model that cannot be loaded fails the pool's start with worker.init-failed naming the file", async () => {
    const missing = `${models.dir}/missing.onnx`;
    const error = await OrtWorkerPool.create({ models: { clip: missing } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "worker.init-failed", details: { model: "clip", path: missing } });
    expect((error as Error).message).toContain(`an inference worker could not load model clip (${missing}): ONNX Runtime could not load the model`);
  });
});
