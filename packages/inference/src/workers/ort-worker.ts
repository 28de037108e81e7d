import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { createOrtSession } from "../runtime/ort.js";
import type { FromWorker, LabelMaskReduced, ModelInfo, ToWorker, WorkerInit } from "./protocol.js";
import { applyReduction } from "./reduce.js";
import { forTransfer, type Outputs } from "./tensors.js";

/**
 * Worker-thread entry: loads every model of `workerData` into an ONNX Runtime session once, then
 * runs one request at a time (the pool never sends a second before the first is answered).
 * session.run() blocks this thread for the whole inference, which is the point: not the main one.
 */

type Session = Awaited<ReturnType<typeof createOrtSession>>;

function describe(session: Session): ModelInfo {
  return { inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
}

function post(message: FromWorker, transferList: ArrayBuffer[] = []): void {
  try {
    parentPort!.postMessage(message, transferList);
  } catch {
    // Buffers owned by native code may refuse to be detached: send a copy instead.
    parentPort!.postMessage(message);
  }
}

async function main(init: WorkerInit): Promise<void> {
  const sessions = new Map<string, Session>();
  const infos: Record<string, ModelInfo> = {};
  for (const [name, path] of Object.entries(init.models)) {
    try {
      const session = await createOrtSession(path, {
        ...(init.session.intraOpThreads !== undefined && { intraOpThreads: init.session.intraOpThreads }),
        ...(init.session.interOpThreads !== undefined && { interOpThreads: init.session.interOpThreads }),
        ...(init.session.executionProviders !== undefined && { executionProviders: [...init.session.executionProviders] }),
      });
      sessions.set(name, session);
      infos[name] = describe(session);
    } catch (error) {
      post({ type: "init-error", model: name, message: error instanceof Error ? error.message : String(error) });
      return;
    }
  }

  parentPort!.on("message", (message: ToWorker) => {
    void (async () => {
      const session = sessions.get(message.model);
      if (!session) {
        post({ type: "error", id: message.id, message: `no model ${JSON.stringify(message.model)} in this worker` });
        return;
      }
      try {
        const started = performance.now();
        let outputs: Outputs = await session.run(message.feeds);
        const runMs = performance.now() - started;
        let reduced: LabelMaskReduced | null = null;
        if (message.reduce) ({ outputs, reduced } = applyReduction(outputs, message.reduce));
        const { tensors, transferList } = forTransfer(outputs, true);
        if (reduced) transferList.push(...[reduced.labels, reduced.pixelFraction, reduced.meanProbability].map((a) => a.buffer as ArrayBuffer));
        post({ type: "result", id: message.id, outputs: tensors, runMs, reduced }, transferList);
      } catch (error) {
        post({ type: "error", id: message.id, message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  post({ type: "ready", models: infos });
}

if (!isMainThread && parentPort) void main(workerData as WorkerInit);
