import { describe, expect, it } from "vitest";
import { ONE_PIXEL_PNG } from "../testing/transport.js";
import type { InferenceResponse } from "../types.js";
import { decodeInferenceResponse, encodeInferenceResponse } from "./response.js";

const response: InferenceResponse = {
  maskPng: ONE_PIXEL_PNG,
  width: 1,
  height: 1,
  scores: [
    { className: "road", pixelFraction: 1, meanProbability: 0.75 },
    { className: "sky", pixelFraction: 0, meanProbability: 0.25 },
  ],
  timings: { preprocessMs: 1.5, inferenceMs: 20 },
  adapter: { kind: "cat", sha256: "c".repeat(64), cached: true },
};

function wire(change: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(new TextDecoder().decode(encodeInferenceResponse(response))) as Record<string, unknown>), ...change });
}

describe("inference response", () => {
  it("is JSON with the mask in base64", () => {
    const json = JSON.parse(new TextDecoder().decode(encodeInferenceResponse(response))) as Record<string, unknown>;
    expect(json).toEqual({
      maskPng: Buffer.from(ONE_PIXEL_PNG).toString("base64"),
      width: 1,
      height: 1,
      scores: response.scores,
      timings: { preprocessMs: 1.5, inferenceMs: 20 },
      adapter: { kind: "cat", sha256: "c".repeat(64), cached: true },
    });
  });

  it("round-trips", () => {
    expect(decodeInferenceResponse(encodeInferenceResponse(response))).toEqual(response);
    const none = { ...response, adapter: { kind: "none" as const, sha256: null, cached: false } };
    expect(decodeInferenceResponse(new TextDecoder().decode(encodeInferenceResponse(none)))).toEqual(none);
  });

  it.each([
    ["not JSON", "<html>", "the inference response is not valid JSON"],
    ["a missing field", wire({ width: undefined }), "invalid inference response: width:"],
    ["a mask that is not base64", wire({ maskPng: "***" }), "maskPng:"],
    ["a mask that is not a PNG", wire({ maskPng: Buffer.from("GIF89a").toString("base64") }), "the inference response's maskPng is not a PNG"],
    ["a fraction over 1", wire({ scores: [{ className: "a", pixelFraction: 1.5, meanProbability: 0 }] }), "scores.0.pixelFraction"],
    ["an unknown adapter kind", wire({ adapter: { kind: "lora", sha256: null, cached: false } }), "adapter.kind"],
  ])("refuses %s", (_, body, message) => {
    expect(() => decodeInferenceResponse(body)).toThrow(expect.objectContaining({ code: "transport.invalid-response", message: expect.stringContaining(message) }));
  });
});
