import { parentPort, threadId, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker, WorkerInit } from "../workers/protocol.js";
import type { OutputTensor } from "../workers/tensors.js";

/**
 * A stand-in for ort-worker.ts that speaks the same protocol without ONNX Runtime, so the pool's
 * queueing, transfer, crash and restart can be tested fast and deterministically.
 * Model "paths": "fail-init" reports a load error, "exit-at-init" exits before being ready.
 * Feeds: `x` is answered as `y = 2x`; `spin` [ms] busy-waits; `crash` exits the thread;
 * `throw` throws an uncaught error; `fail` answers with an error. `thread` = the worker's threadId.
 */

const init = workerData as WorkerInit;
const post = (message: FromWorker, transferList: ArrayBuffer[] = []): void => parentPort!.postMessage(message, transferList);

for (const [model, path] of Object.entries(init.models)) {
  if (path === "fail-init") {
    post({ type: "init-error", model, message: `cannot read ${path}` });
    process.exit(0);
  }
  if (path === "exit-at-init") process.exit(5);
}

parentPort!.on("message", (message: ToWorker) => {
  const { feeds, id } = message;
  if (feeds.spin) {
    const until = performance.now() + Number(feeds.spin.data[0]);
    while (performance.now() < until);
  }
  if (feeds.crash) process.exit(3);
  if (feeds.throw) {
    setImmediate(() => {
      throw new Error("boom in the worker");
    });
    return;
  }
  if (feeds.fail) {
    post({ type: "error", id, message: "the model said no" });
    return;
  }
  const outputs: Record<string, OutputTensor> = { thread: { data: Float32Array.of(threadId), dims: [1] } };
  const x = feeds.x;
  if (x) outputs.y = { data: Float32Array.from(x.data as Float32Array, (v) => 2 * v), dims: [...x.dims] };
  const echoed = Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer);
  post({ type: "result", id, outputs, runMs: 0.5, reduced: null }, echoed);
});

post({
  type: "ready",
  models: Object.fromEntries(Object.keys(init.models).map((m) => [m, { inputNames: ["x"], outputNames: ["y", "thread"] }])),
});
