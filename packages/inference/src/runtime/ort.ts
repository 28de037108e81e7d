import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { SemlaError } from "@semla/core";
import { onnx } from "@semla/models";
import ort from "onnxruntime-node";

/**
 * The one module that touches onnxruntime-node: everything else sees plain typed arrays. It holds no
 * module-level state (each call builds what it needs), so it works the same in the main thread and in
 * worker threads. Note that `run` executes synchronously inside ONNX Runtime's binding: it blocks the
 * calling thread for the whole inference, which is why sessions live in worker threads.
 */

export type ExecutionProviderName = "cuda" | "cpu";

export interface OrtSessionOptions {
  /** Threads used inside one operator (default: ONNX Runtime's choice, one per core). */
  readonly intraOpThreads?: number;
  /** Threads used across independent operators (default 1: the graphs here are sequential). */
  readonly interOpThreads?: number;
  /**
   * Providers in order of preference (default ["cpu"]). Ones this installation cannot run are
   * dropped, and CPU is always the last resort, so asking for CUDA on a machine without it is no error.
   */
  readonly executionProviders?: readonly ExecutionProviderName[];
  /** ONNX Runtime's log threshold: 0 verbose … 3 errors (default) … 4 fatal. */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface OrtFeed {
  readonly type: "float32" | "int64";
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export interface OrtOutput {
  readonly data: Float32Array;
  readonly dims: number[];
}

/** A graph input or output as the session reports it: element type and shape (a string for a symbolic dimension). */
export interface OrtValueInfo {
  readonly name: string;
  /** "float32", "int64", … ; "non-tensor" for sequences and maps. */
  readonly type: string;
  readonly dims: readonly (number | string)[];
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly OrtValueInfo[];
  readonly outputs: readonly OrtValueInfo[];
  /** The providers the session was created with, in preference order. */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** Runs the model; every input must be fed, and every output must be float32. */
  run(feeds: Readonly<Record<string, OrtFeed>>): Promise<Record<string, OrtOutput>>;
  release(): Promise<void>;
}

export type OrtErrorCode = "ort.model-load-failed" | "ort.invalid-feeds" | "ort.run-failed" | "ort.unsupported-output" | "ort.released";

export class OrtError extends SemlaError {
  declare readonly code: OrtErrorCode;

  constructor(code: OrtErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details, code === "ort.invalid-feeds" ? "invalid" : "internal");
  }
}

/** Shared-library names the CUDA provider needs beside the binding (the npm install step downloads them). */
function cudaLibraries(): string[] {
  if (process.platform === "win32") return ["onnxruntime_providers_shared.dll", "onnxruntime_providers_cuda.dll"];
  return ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];
}

function bindingDirectory(): string {
  const entry = createRequire(import.meta.url).resolve("onnxruntime-node");
  return path.join(path.dirname(entry), "..", "bin", "napi-v6", process.platform, process.arch);
}

/**
 * Providers this installation can create sessions with: CPU always; CUDA when the binding lists it
 * and its provider libraries are present (the binding lists CUDA on every Linux x64 build, whether or
 * not they were installed, and then fails at session creation).
 */
export function availableExecutionProviders(): ExecutionProviderName[] {
  const available: ExecutionProviderName[] = [];
  const cuda = ort.listSupportedBackends().find((backend) => backend.name === "cuda");
  if (cuda && (cuda.bundled || cudaLibraries().every((file) => existsSync(path.join(bindingDirectory(), file))))) available.push("cuda");
  available.push("cpu");
  return available;
}

function describeSource(model: Uint8Array | string): string {
  return typeof model === "string" ? model : `${model.byteLength} bytes`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Feeds are checked here so a mistake names the input instead of surfacing as a native error. */
function toTensors(feeds: Readonly<Record<string, OrtFeed>>, inputNames: readonly string[]): Record<string, ort.Tensor> {
  const expected = new Set(inputNames);
  const unknown = Object.keys(feeds).filter((name) => !expected.has(name));
  const missing = inputNames.filter((name) => !Object.hasOwn(feeds, name));
  if (unknown.length > 0 || missing.length > 0) {
    throw new OrtError("ort.invalid-feeds", `feeds do not match the model's inputs: missing [${missing.join(", ")}], unknown [${unknown.join(", ")}]`, { missing, unknown });
  }
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) {
    const { type, data, dims } = feed;
    if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new OrtError("ort.invalid-feeds", `input ${name}: dims [${dims.join(", ")}] must be non-negative integers`, { name });
    }
    if (data.length !== onnx.elementCount(dims)) {
      throw new OrtError("ort.invalid-feeds", `input ${name}: ${data.length} values for dims [${dims.join(", ")}]`, { name, length: data.length });
    }
    if (type === "float32" && data instanceof Float32Array) tensors[name] = new ort.Tensor("float32", data, dims);
    else if (type === "int64" && data instanceof BigInt64Array) tensors[name] = new ort.Tensor("int64", data, dims);
    else throw new OrtError("ort.invalid-feeds", `input ${name}: type ${type} does not match its ${data.constructor.name}`, { name, type });
  }
  return tensors;
}

function fromTensors(results: ort.InferenceSession.ReturnType): Record<string, OrtOutput> {
  const outputs: Record<string, OrtOutput> = {};
  for (const [name, value] of Object.entries(results)) {
    if (!(value instanceof ort.Tensor) || value.type !== "float32" || !(value.data instanceof Float32Array)) {
      throw new OrtError("ort.unsupported-output", `output ${name} is not a float32 tensor`, { name });
    }
    outputs[name] = { data: value.data, dims: [...value.dims] };
  }
  return outputs;
}

async function createSession(model: Uint8Array | string, options: OrtSessionOptions, providers: readonly ExecutionProviderName[]): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: providers,
    interOpNumThreads: options.interOpThreads ?? 1,
    logSeverityLevel: options.logSeverityLevel ?? 3,
    graphOptimizationLevel: "all",
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
}

/**
 * An ONNX Runtime session over a model given as bytes or as a file path (a path is required when the
 * model keeps its weights in external data files, which are found relative to it).
 */
export async function createOrtSession(model: Uint8Array | string, options: OrtSessionOptions = {}): Promise<OrtSession> {
  const available = new Set(availableExecutionProviders());
  const wanted = (options.executionProviders ?? ["cpu"]).filter((p) => available.has(p));
  const providers: ExecutionProviderName[] = wanted.includes("cpu") ? [...new Set(wanted)] : [...new Set(wanted), "cpu"];
  if (typeof model !== "string" && model.byteLength === 0) {
    throw new OrtError("ort.model-load-failed", "ONNX Runtime could not load the model: it is empty (0 bytes)", { source: describeSource(model) });
  }

  let session: ort.InferenceSession;
  let used = providers;
  try {
    session = await createSession(model, options, providers);
  } catch (first) {
    // A GPU provider can still fail at creation (driver, memory): serve on CPU rather than not at all.
    if (providers.length === 1) {
      throw new OrtError("ort.model-load-failed", `ONNX Runtime could not load the model (${describeSource(model)}): ${errorMessage(first)}`, {
        source: describeSource(model),
      });
    }
    used = ["cpu"];
    try {
      session = await createSession(model, options, used);
    } catch (error) {
      throw new OrtError("ort.model-load-failed", `ONNX Runtime could not load the model (${describeSource(model)}): ${errorMessage(error)}`, {
        source: describeSource(model),
        firstError: errorMessage(first),
      });
    }
  }

  let released = false;
  const info = (m: ort.InferenceSession.ValueMetadata): OrtValueInfo =>
    m.isTensor ? { name: m.name, type: m.type, dims: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : String(d))) } : { name: m.name, type: "non-tensor", dims: [] };
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputs: session.inputMetadata.map(info),
    outputs: session.outputMetadata.map(info),
    executionProviders: used,
    async run(feeds) {
      if (released) throw new OrtError("ort.released", "the session was released");
      const tensors = toTensors(feeds, session.inputNames);
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run(tensors);
      } catch (error) {
        throw new OrtError("ort.run-failed", `ONNX Runtime failed to run the model: ${errorMessage(error)}`);
      }
      return fromTensors(results);
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}
