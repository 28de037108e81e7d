import { afterEach, describe, expect, it } from "vitest";
import { WorkerError } from "./errors.js";
import { type OrtPoolOptions, OrtWorkerPool } from "./pool.js";
import type { Feeds } from "./tensors.js";

/** Pool mechanics against testing/fake-worker.ts (same protocol, no ONNX Runtime). */

const FAKE = new URL("../testing/fake-worker.ts", import.meta.url);
const pools: OrtWorkerPool[] = [];

async function fakePool(options: Partial<OrtPoolOptions> = {}): Promise<OrtWorkerPool> {
  const pool = await OrtWorkerPool.create({ models: { echo: "echo" }, workerEntry: FAKE, ...options });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const f32 = (...values: number[]): Feeds[string] => ({ type: "float32", data: Float32Array.from(values), dims: [values.length] });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("OrtWorkerPool", () => {
  it("runs a request in a worker and returns its outputs", async () => {
    const pool = await fakePool();
    expect(pool.size).toBe(1);
    expect(pool.models).toEqual({ echo: { inputNames: ["x"], outputNames: ["y", "thread"] } });
    const result = await pool.run("echo", { x: { type: "float32", data: Float32Array.of(1, 2, 3, 4), dims: [2, 2] } });
    expect(Array.from(result.outputs.y!.data)).toEqual([2, 4, 6, 8]);
    expect(result.outputs.y!.dims).toEqual([2, 2]);
    expect(result.runMs).toBe(0.5);
    expect(result.waitMs).toBeGreaterThanOrEqual(0);
  });

  it("transfers input buffers by default, copies them with transfer: false, and slices views of larger buffers", async () => {
    const pool = await fakePool();
    const moved = Float32Array.of(1, 2);
    await pool.run("echo", { x: { type: "float32", data: moved, dims: [2] } });
    expect(moved.byteLength).toBe(0); // detached: it went to the worker

    const kept = Float32Array.of(1, 2);
    const out = await pool.run("echo", { x: { type: "float32", data: kept, dims: [2] } }, { transfer: false });
    expect(Array.from(kept)).toEqual([1, 2]);
    expect(Array.from(out.outputs.y!.data)).toEqual([2, 4]);

    const file = new Float32Array([9, 9, 5, 6, 9]);
    const view = file.subarray(2, 4);
    const viaView = await pool.run("echo", { x: { type: "float32", data: view, dims: [2] } });
    expect(Array.from(viaView.outputs.y!.data)).toEqual([10, 12]);
    expect(Array.from(file)).toEqual([9, 9, 5, 6, 9]); // the larger buffer is neither detached nor sent
  });

  it("queues requests first in, first out on one worker", async () => {
    const pool = await fakePool();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => pool.run("echo", { x: f32(i), spin: f32(5) }).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("spreads queued requests over all N workers", async () => {
    const pool = await fakePool({ workers: 3 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run("echo", { x: f32(i), spin: f32(100) })));
    expect(results.map((r) => r.outputs.y!.data[0])).toEqual([0, 2, 4, 6, 8, 10]);
    // Six requests queued at once went to all three workers (no timing asserted: CI machines are shared).
    expect(new Set(results.map((r) => r.outputs.thread!.data[0])).size).toBe(3);
  });

  it("a worker that exits rejects its request with worker.crashed and is replaced; the queue goes on", async () => {
    const pool = await fakePool();
    const before = (await pool.run("echo", { x: f32(1) })).outputs.thread!.data[0];
    const crashed = pool.run("echo", { crash: f32(1) });
    const next = pool.run("echo", { x: f32(21) });
    const error = await rejection(crashed);
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({
      code: "worker.crashed",
      message: "the inference worker running echo crashed (exit code 3); it is being restarted",
      details: { rule: "crashed", model: "echo", reason: "exit code 3", exitCode: 3 },
    });
    const after = await next;
    expect(after.outputs.y!.data[0]).toBe(42);
    expect(after.outputs.thread!.data[0]).not.toBe(before);
    expect(pool.respawns).toBe(1);
  });

  it("an uncaught exception in the worker is a crash naming the error", async () => {
    const pool = await fakePool();
    const error = await rejection(pool.run("echo", { throw: f32(1) }));
    expect(error).toMatchObject({ code: "worker.crashed", details: { reason: "boom in the worker", exitCode: 1 } });
    expect((await pool.run("echo", { x: f32(2) })).outputs.y!.data[0]).toBe(4);
  });

  it("an inference error rejects that request only: worker.run-failed, no restart", async () => {
    const pool = await fakePool();
    const error = await rejection(pool.run("echo", { fail: f32(1) }));
    expect(error).toMatchObject({ code: "worker.run-failed", message: "inference of echo failed: the model said no" });
    expect((await pool.run("echo", { x: f32(3) })).outputs.y!.data[0]).toBe(6);
    expect(pool.respawns).toBe(0);
  });

  it("refuses an unknown model and a tensor whose data does not fit its dims", async () => {
    const pool = await fakePool();
    const unknown = await rejection(pool.run("nope", { x: f32(1) }));
    expect(unknown).toMatchObject({ code: "worker.unknown-model", message: 'no model "nope" in this pool', details: { models: ["echo"] } });
    await expect(pool.run("echo", { x: { type: "float32", data: new Float32Array(3), dims: [2, 2] } })).rejects.toThrow("tensor x: 3 values for dims [2, 2] (4 expected)");
    await expect(pool.run("echo", { x: { type: "int64", data: new Float32Array(1), dims: [1] } })).rejects.toThrow("tensor x: type int64 but data is Float32Array");
  });

  it("fails to start when a worker cannot load a model, naming it", async () => {
    const error = await rejection(OrtWorkerPool.create({ models: { clip: "fail-init" }, workerEntry: FAKE, workers: 2 }));
    expect(error).toMatchObject({
      code: "worker.init-failed",
      message: "an inference worker could not load model clip (fail-init): cannot read fail-init",
      details: { model: "clip", path: "fail-init" },
    });
    const exited = await rejection(OrtWorkerPool.create({ models: { clip: "exit-at-init" }, workerEntry: FAKE }));
    expect(exited).toMatchObject({
      code: "worker.init-failed",
      message: "an inference worker stopped before loading its models (exit code 5)",
    });
  });

  it("close() rejects running and queued requests with worker.closed, and later ones too", async () => {
    const pool = await fakePool();
    const running = rejection(pool.run("echo", { spin: f32(200) }));
    const queued = rejection(pool.run("echo", { x: f32(1) }));
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.pending).toBe(2);
    await pool.close();
    expect(await running).toMatchObject({ code: "worker.closed" });
    expect(await queued).toMatchObject({ code: "worker.closed" });
    await expect(pool.run("echo", { x: f32(1) })).rejects.toMatchObject({ code: "worker.closed" });
    await pool.close(); // idempotent
  });

  it("an aborted request leaves the queue (or is dropped when running) and rejects with the signal's reason", async () => {
    const pool = await fakePool();
    const running = new AbortController();
    const queued = new AbortController();
    const first = rejection(pool.run("echo", { spin: f32(100) }, { signal: running.signal }));
    const second = rejection(pool.run("echo", { x: f32(1) }, { signal: queued.signal }));
    const third = pool.run("echo", { x: f32(5) });
    queued.abort();
    running.abort(new Error("client went away"));
    expect(await second).toMatchObject({ name: "AbortError" });
    expect(await first).toMatchObject({ message: "client went away" });
    expect((await third).outputs.y!.data[0]).toBe(10);
    expect(pool.pending).toBe(0);
    await expect(pool.run("echo", { x: f32(1) }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("refuses a worker count that is not a positive integer", async () => {
    await expect(OrtWorkerPool.create({ models: { echo: "echo" }, workerEntry: FAKE, workers: 0 })).rejects.toThrow("workers must be a positive integer, got 0");
  });
});
