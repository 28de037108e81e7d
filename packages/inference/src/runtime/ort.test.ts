import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { onnx } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { availableExecutionProviders, createOrtSession, OrtError, type OrtSession } from "./ort.js";

/** y = x · w + b and z = table[ids]: one float and one int64 input, two float outputs. */
function sampleModel(): Uint8Array {
  const g = new onnx.GraphBuilder("sample");
  const x = g.input("x", "float32", ["batch", 2]);
  const ids = g.input("ids", "int64", ["n"]);
  const w = g.initializer("w", Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = g.initializer("b", Float32Array.from([0.5, -1, 2]), [3]);
  g.output(g.add(g.matMul(x, w), b), "y", "float32", ["batch", 3]);
  const table = g.initializer("table", Float32Array.from([10, 20, 30]), [3]);
  g.output(g.gather(table, ids), "z", "float32", ["n"]);
  return onnx.encodeModel(g.build());
}

async function rejection(promise: Promise<unknown>): Promise<OrtError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OrtError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("createOrtSession", () => {
  let session: OrtSession;
  beforeAll(async () => {
    session = await createOrtSession(sampleModel(), { intraOpThreads: 1, interOpThreads: 1 });
  });
  afterAll(() => session.release());

  it("lists the model's inputs and outputs and the providers it runs on", () => {
    expect(session.inputNames).toEqual(["x", "ids"]);
    expect(session.outputNames).toEqual(["y", "z"]);
    expect(session.executionProviders).toEqual(["cpu"]);
  });

  it("runs float32 and int64 feeds and returns float32 outputs with their dims", async () => {
    const out = await session.run({
      x: { type: "float32", data: Float32Array.from([1, 0, 2, -1]), dims: [2, 2] },
      ids: { type: "int64", data: BigInt64Array.from([2n, 0n, 2n]), dims: [3] },
    });
    // [1, 0]·w + b = [1.5, 1, 5]; [2, -1]·w + b = [-1.5, -2, 2].
    expect(out["y"]).toEqual({ data: Float32Array.from([1.5, 1, 5, -1.5, -2, 2]), dims: [2, 3] });
    expect(out["z"]).toEqual({ data: Float32Array.from([30, 10, 30]), dims: [3] });
  });

  it("refuses feeds that do not match the model, naming the input", async () => {
    const x = { type: "float32" as const, data: Float32Array.from([1, 2]), dims: [1, 2] };
    const ids = { type: "int64" as const, data: BigInt64Array.from([0n]), dims: [1] };
    expect(await rejection(session.run({ x }))).toMatchObject({ code: "ort.invalid-feeds", details: { missing: ["ids"], unknown: [] } });
    expect(await rejection(session.run({ x, ids, extra: x }))).toMatchObject({ code: "ort.invalid-feeds", details: { unknown: ["extra"] } });
    expect((await rejection(session.run({ x: { ...x, dims: [2, 2] }, ids }))).message).toBe("input x: 2 values for dims [2, 2]");
    expect((await rejection(session.run({ x: { ...x, dims: [1, -2] }, ids }))).code).toBe("ort.invalid-feeds");
    expect((await rejection(session.run({ x, ids: { type: "float32", data: BigInt64Array.from([0n]), dims: [1] } }))).message).toBe("input ids: type float32 does not match its BigInt64Array");
  });

  it("reports ONNX Runtime's own run errors as run-failed", async () => {
    const error = await rejection(
      session.run({
        x: { type: "float32", data: Float32Array.from([1, 2, 3]), dims: [1, 3] },
        ids: { type: "int64", data: BigInt64Array.from([0n]), dims: [1] },
      }),
    );
    expect(error.code).toBe("ort.run-failed");
    expect(error.message).toMatch(/^ONNX Runtime failed to run the model: /);
  });

  it("errors clearly on garbage bytes, empty bytes and a missing file", async () => {
    const garbage = await rejection(createOrtSession(new TextEncoder().encode("this is not an ONNX model")));
    expect(garbage.code).toBe("ort.model-load-failed");
    expect(garbage.message).toMatch(/^ONNX Runtime could not load the model \(25 bytes\): .*protobuf parsing failed/);
    expect((await rejection(createOrtSession(new Uint8Array(0)))).message).toBe("ONNX Runtime could not load the model: it is empty (0 bytes)");
    const missing = await rejection(createOrtSession("/nonexistent/model.onnx"));
    expect(missing.code).toBe("ort.model-load-failed");
    expect(missing.message).toContain("/nonexistent/model.onnx");
  });

  it("loads a model from a path", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "semla-ort-"));
    try {
      await writeFile(path.join(dir, "m.onnx"), sampleModel());
      const fromFile = await createOrtSession(path.join(dir, "m.onnx"));
      expect(fromFile.outputNames).toEqual(["y", "z"]);
      await fromFile.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses to run after release, and releases once", async () => {
    const own = await createOrtSession(sampleModel());
    await own.release();
    await own.release();
    const error = await rejection(own.run({}));
    expect(error.code).toBe("ort.released");
  });
});

describe("execution providers", () => {
  it("always include CPU, last", () => {
    const providers = availableExecutionProviders();
    expect(providers.at(-1)).toBe("cpu");
    expect(providers.every((p) => p === "cuda" || p === "cpu")).toBe(true);
  });

  it("fall back to CPU without error when CUDA is asked for but not available", async () => {
    const session = await createOrtSession(sampleModel(), { executionProviders: ["cuda", "cpu"] });
    const expected = availableExecutionProviders().includes("cuda") ? ["cuda", "cpu"] : ["cpu"];
    expect(session.executionProviders).toEqual(expected);
    const out = await session.run({
      x: { type: "float32", data: Float32Array.from([1, 0]), dims: [1, 2] },
      ids: { type: "int64", data: BigInt64Array.from([1n]), dims: [1] },
    });
    expect(Array.from(out["y"]!.data)).toEqual([1.5, 1, 5]);
    await session.release();
  });

  it("add CPU as the last resort even when only CUDA is asked for", async () => {
    const session = await createOrtSession(sampleModel(), { executionProviders: ["cuda"] });
    expect(session.executionProviders.at(-1)).toBe("cpu");
    await session.release();
  });
});
