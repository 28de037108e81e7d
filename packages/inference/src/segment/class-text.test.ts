import { describe, expect, it } from "vitest";
import { ClassTextEncoder } from "./class-text.js";

// The ONNX path (tokenizer → text encoder → templates averaged) is tested on torch's exports in
// src/pack/torch-export.test.ts; a closed vocabulary needs no model.
describe("a closed vocabulary (a table of precomputed class embeddings)", () => {
  const table = new ClassTextEncoder(null, "text", { kind: "table", dimension: 2, names: ["road", "sky", "car"], embeddings: Float32Array.from([1, 0, 0, 1, 0.6, 0.8]) });

  it("looks the names up in the request's order (surrounding whitespace ignored), all counted as cached", async () => {
    expect(await table.embed(["car", " road", "car"])).toEqual({ data: Float32Array.from([0.6, 0.8, 1, 0, 0.6, 0.8]), dimension: 2, cached: 3 });
  });

  it("refuses names outside the vocabulary as the caller's error, naming them", async () => {
    await expect(table.embed(["road", "tree", "boat"])).rejects.toMatchObject({
      code: "segment.unknown-class",
      kind: "invalid",
      message: `"tree", "boat" are not in this model's closed vocabulary of 3 classes`,
      details: { unknown: ["tree", "boat"], vocabulary: 3 },
    });
  });

  it("needs a worker pool for an ONNX text encoder", () => {
    expect(() => new ClassTextEncoder(null, "text", { kind: "onnx" } as never)).toThrow("an ONNX text encoder needs a worker pool");
  });
});
