import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ortWorkerEntry, type WorkerEntry, workerEntry } from "./entry.js";
import { WorkerError } from "./errors.js";
import type { FromWorker, LabelMaskReduced, LabelMaskReduction, ModelInfo, SessionSettings, ToWorker, WorkerInit } from "./protocol.js";
import { checkTensor, type Feeds, forTransfer, type Outputs } from "./tensors.js";

/**
 * A pool of worker threads, each holding ONNX Runtime sessions for the same models, created once.
 * Requests queue (FIFO) and go to the first idle worker; tensors are transferred both ways. A
 * worker that dies rejects its in-flight request with `worker.crashed` and is replaced.
 */

export interface OrtPoolOptions extends SessionSettings {
  /** Model name → .onnx path; every worker loads all of them. */
  readonly models: Readonly<Record<string, string>>;
  /** Number of worker threads. Default 1. */
  readonly workers?: number;
  /**
   * Intra-op threads per session. Default: the machine's parallelism divided among the workers,
   * so that N workers do not each start one thread per core.
   */
  readonly intraOpThreads?: number;
  /** Worker script (a bundle's emitted ort-worker.js, or a test double). Default: ./ort-worker next to this module. */
  readonly workerEntry?: string | URL;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /**
   * Move the feeds' buffers to the worker (default true): the caller's arrays are detached
   * afterwards. With false they are copied. Views into larger buffers are always copied.
   */
  readonly transfer?: boolean;
  /** Post-process one output in the worker (it is then not returned): see LabelMaskReduction. */
  readonly reduce?: LabelMaskReduction;
}

export interface RunResult {
  readonly outputs: Outputs;
  /** The result of `reduce`, or null. */
  readonly reduced: LabelMaskReduced | null;
  /** session.run() time, measured in the worker. */
  readonly runMs: number;
  /** Time spent queued before a worker took the request. */
  readonly waitMs: number;
}

interface Job {
  readonly id: number;
  readonly model: string;
  readonly feeds: Feeds;
  readonly reduce: LabelMaskReduction | null;
  readonly transferList: ArrayBuffer[];
  readonly enqueuedAt: number;
  startedAt: number;
  settled: boolean;
  readonly resolve: (result: RunResult) => void;
  readonly reject: (error: unknown) => void;
  readonly cleanup: () => void;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  ready: boolean;
  job: Job | null;
  lastError: Error | null;
  initError: WorkerError | null;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export class OrtWorkerPool {
  readonly size: number;
  private readonly entry: WorkerEntry;
  private readonly init: WorkerInit;
  private readonly slots: Array<Slot | null>;
  private readonly queue: Job[] = [];
  private modelInfo: Readonly<Record<string, ModelInfo>> = {};
  private nextId = 1;
  private closed = false;
  private broken: WorkerError | null = null;
  private respawnCount = 0;

  private constructor(options: OrtPoolOptions) {
    this.size = positiveInteger(options.workers ?? 1, "workers");
    const intraOpThreads = positiveInteger(options.intraOpThreads ?? Math.max(1, Math.floor(availableParallelism() / this.size)), "intraOpThreads");
    if (Object.keys(options.models).length === 0) throw new RangeError("the pool needs at least one model");
    this.entry = options.workerEntry === undefined ? ortWorkerEntry() : workerEntry(options.workerEntry);
    this.init = {
      models: { ...options.models },
      session: {
        intraOpThreads,
        ...(options.interOpThreads !== undefined && { interOpThreads: positiveInteger(options.interOpThreads, "interOpThreads") }),
        ...(options.executionProviders !== undefined && { executionProviders: [...options.executionProviders] }),
      },
    };
    this.slots = new Array<Slot | null>(this.size).fill(null);
  }

  /** Starts the workers and resolves once every one has loaded every model. */
  static async create(options: OrtPoolOptions): Promise<OrtWorkerPool> {
    const pool = new OrtWorkerPool(options);
    const started = await Promise.allSettled(pool.slots.map((_, i) => pool.spawn(i)));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    pool.modelInfo = (started[0] as PromiseFulfilledResult<Readonly<Record<string, ModelInfo>>>).value;
    return pool;
  }

  /** Inputs and outputs of each model, as the workers' sessions report them. */
  get models(): Readonly<Record<string, ModelInfo>> {
    return this.modelInfo;
  }

  /** Workers started to replace crashed ones so far. */
  get respawns(): number {
    return this.respawnCount;
  }

  /** Requests queued or running. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s?.job && !s.job.settled).length;
  }

  async run(model: string, feeds: Feeds, options: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new WorkerError("closed", "the inference worker pool is closed");
    if (this.broken) throw this.broken;
    const info = this.modelInfo[model];
    if (!info) {
      throw new WorkerError("unknown-model", `no model ${JSON.stringify(model)} in this pool`, { model, models: Object.keys(this.modelInfo) });
    }
    for (const [name, tensor] of Object.entries(feeds)) checkTensor(name, tensor);
    const { signal } = options;
    signal?.throwIfAborted();
    const { tensors, transferList } = forTransfer(feeds, options.transfer ?? true);

    return new Promise<RunResult>((resolve, reject) => {
      const onAbort = (): void => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) this.queue.splice(queued, 1);
        // A running inference cannot be interrupted: its worker stays busy and its answer is dropped.
        settle(() => reject(signal?.reason));
      };
      const settle = (action: () => void): void => {
        if (job.settled) return;
        job.settled = true;
        job.cleanup();
        action();
      };
      const job: Job = {
        id: this.nextId++,
        model,
        feeds: tensors,
        reduce: options.reduce ?? null,
        transferList,
        enqueuedAt: performance.now(),
        startedAt: 0,
        settled: false,
        resolve: (result) => settle(() => resolve(result)),
        reject: (error) => settle(() => reject(error)),
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminates every worker; queued and running requests reject with `worker.closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new WorkerError("closed", "the inference worker pool was closed");
    for (const job of this.queue.splice(0)) job.reject(error);
    const workers: Worker[] = [];
    for (const slot of this.slots) {
      if (!slot) continue;
      slot.job?.reject(error);
      workers.push(slot.worker);
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private spawn(index: number): Promise<Readonly<Record<string, ModelInfo>>> {
    const worker = new Worker(this.entry.script, { workerData: this.init, eval: this.entry.eval });
    const slot: Slot = { index, worker, ready: false, job: null, lastError: null, initError: null };
    this.slots[index] = slot;
    return new Promise((resolveReady, rejectReady) => {
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            slot.ready = true;
            resolveReady(message.models);
            this.dispatch();
            break;
          case "init-error":
            slot.initError = new WorkerError("init-failed", `an inference worker could not load model ${message.model} (${this.init.models[message.model]}): ${message.message}`, {
              model: message.model,
              path: this.init.models[message.model],
              reason: message.message,
            });
            break;
          case "result":
            this.finish(slot, message.id, (job) => job.resolve({ outputs: message.outputs, reduced: message.reduced, runMs: message.runMs, waitMs: job.startedAt - job.enqueuedAt }));
            break;
          case "error":
            this.finish(slot, message.id, (job) => job.reject(new WorkerError("run-failed", `inference of ${job.model} failed: ${message.message}`, { model: job.model, reason: message.message })));
            break;
        }
      });
      worker.on("error", (error) => {
        slot.lastError = error;
      });
      worker.on("exit", (code) => this.onExit(slot, code, rejectReady));
    });
  }

  private finish(slot: Slot, id: number, settle: (job: Job) => void): void {
    const job = slot.job;
    if (!job || job.id !== id) return;
    slot.job = null;
    settle(job);
    this.dispatch();
  }

  private onExit(slot: Slot, code: number, rejectReady: (error: unknown) => void): void {
    if (this.slots[slot.index] !== slot || this.closed) return;
    const reason = slot.lastError ? slot.lastError.message : `exit code ${code}`;
    if (!slot.ready) {
      // It never loaded its models: replacing it would fail the same way.
      const error = slot.initError ?? new WorkerError("init-failed", `an inference worker stopped before loading its models (${reason})`, { reason, exitCode: code });
      this.slots[slot.index] = null;
      rejectReady(error);
      if (this.slots.every((s) => s === null)) this.fail(error);
      return;
    }
    const job = slot.job;
    if (job) {
      job.reject(
        new WorkerError("crashed", `the inference worker running ${job.model} crashed (${reason}); it is being restarted`, {
          model: job.model,
          reason,
          exitCode: code,
        }),
      );
    }
    this.respawnCount++;
    // A failed restart is handled by onExit of the new worker (the slot is dropped).
    this.spawn(slot.index).catch(() => undefined);
  }

  /** No worker can run anything any more: reject what waits and what comes. */
  private fail(error: WorkerError): void {
    this.broken = error;
    for (const job of this.queue.splice(0)) job.reject(error);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot?.ready || slot.job) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      job.startedAt = performance.now();
      const message: ToWorker = { type: "run", id: job.id, model: job.model, feeds: job.feeds, reduce: job.reduce };
      try {
        slot.worker.postMessage(message, job.transferList);
      } catch (error) {
        slot.job = null;
        job.reject(error);
      }
    }
  }
}
