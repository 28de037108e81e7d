import { onnx, TEXT_ENCODER_ATTENTION_MASK, TEXT_ENCODER_INPUT_IDS, TEXT_ENCODER_OUTPUT } from "@semla/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrtSession, type OrtOutput, type OrtSession } from "../runtime/ort.js";
import { maxAbsDifference } from "../testing/arrays.js";

const config = onnx.TEXT_ENCODER_TINY;
const D = config.embedDim;

describe("text encoder in ONNX Runtime", () => {
  let session: OrtSession;
  beforeAll(async () => {
    session = await createOrtSession(onnx.encodeModel(onnx.buildTextEncoder(config, 21)), { intraOpThreads: 1 });
  });
  afterAll(() => session.release());

  async function embed(names: readonly string[], length = config.contextLength): Promise<OrtOutput> {
    const { inputIds, attentionMask, dims } = onnx.tokenizeClassNames(names, { length, vocabularySize: config.vocabularySize });
    const result = await session.run({
      [TEXT_ENCODER_INPUT_IDS]: { type: "int64", data: inputIds, dims },
      [TEXT_ENCODER_ATTENTION_MASK]: { type: "float32", data: attentionMask, dims },
    });
    return result[TEXT_ENCODER_OUTPUT]!;
  }
  const row = (out: OrtOutput, i: number) => out.data.subarray(i * D, (i + 1) * D);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

  it("embeds a batch of class names as unit vectors [classes, embedDim]", async () => {
    const out = await embed(["road", "sidewalk", "building", "traffic light", "person"]);
    expect(out.dims).toEqual([5, D]);
    for (let i = 0; i < 5; i++) expect(Math.hypot(...row(out, i))).toBeCloseTo(1, 5);
  });

  it("gives the same name the same embedding, wherever it sits in the batch and whatever the padding", async () => {
    const a = await embed(["car", "road"]);
    const b = await embed(["sky", "Car", "tree"], 24);
    expect(maxAbsDifference(row(a, 0), row(b, 1))).toBeLessThan(1e-6);
  });

  it("gives different names different embeddings, closer when they share trigrams", async () => {
    const out = await embed(["car", "cars", "vegetation"]);
    const [car, cars, vegetation] = [row(out, 0), row(out, 1), row(out, 2)];
    expect(maxAbsDifference(car, cars)).toBeGreaterThan(1e-2);
    expect(dot(car, cars)).toBeGreaterThan(dot(car, vegetation));
  });

  it("equals the masked mean of token embeddings, projected and normalised (dense reference)", async () => {
    const graph = onnx.buildTextEncoder(config, 21);
    const table = onnx.graphInitializer(graph, "text_model.embeddings.token_embedding.weight").data as Float32Array;
    const projection = onnx.graphInitializer(graph, "text_projection.weight").data as Float32Array;
    const tokens = onnx.classNameTokens("bicycle", config.vocabularySize);
    const mean = new Float64Array(config.width);
    for (const t of tokens) for (let i = 0; i < config.width; i++) mean[i]! += table[t * config.width + i]! / tokens.length;
    const projected = Array.from({ length: D }, (_, o) => mean.reduce((s, v, i) => s + v * projection[o * config.width + i]!, 0));
    const norm = Math.hypot(...projected);
    const out = await embed(["bicycle"]);
    expect(
      maxAbsDifference(
        out.data,
        projected.map((v) => v / norm),
      ),
    ).toBeLessThan(1e-5);
  });
});
