import { describeIssues } from "@semla/core";
import { z } from "zod";
import type { InferenceResponse } from "../types.js";
import { TransportError } from "./errors.js";
import { AdapterKindSchema, Sha256Schema } from "./schemas.js";

/** The endpoint's answer: JSON (the SageMaker `Accept: application/json`), the mask PNG in base64. */
export const RESPONSE_CONTENT_TYPE = "application/json";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const fraction = z.number().min(0).max(1);

export const InferenceResponseSchema = z.object({
  maskPng: z.base64().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  scores: z.array(z.object({ className: z.string(), pixelFraction: fraction, meanProbability: fraction })),
  timings: z.record(z.string(), z.number().finite().nonnegative()),
  adapter: z.object({ kind: AdapterKindSchema, sha256: Sha256Schema.nullable(), cached: z.boolean() }),
});

export type InferenceResponseWire = z.output<typeof InferenceResponseSchema>;

export function toResponseWire(response: InferenceResponse): InferenceResponseWire {
  return {
    maskPng: Buffer.from(response.maskPng.buffer, response.maskPng.byteOffset, response.maskPng.byteLength).toString("base64"),
    width: response.width,
    height: response.height,
    scores: response.scores.map((s) => ({ className: s.className, pixelFraction: s.pixelFraction, meanProbability: s.meanProbability })),
    timings: { ...response.timings },
    adapter: { kind: response.adapter.kind, sha256: response.adapter.sha256, cached: response.adapter.cached },
  };
}

export function encodeInferenceResponse(response: InferenceResponse): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(toResponseWire(response)));
}

function invalid(message: string, details: Record<string, unknown> = {}): TransportError {
  return new TransportError("invalid-response", message, details);
}

/** Reads the endpoint's answer; anything that is not a well-formed response is a TransportError (transport.invalid-response). */
export function decodeInferenceResponse(body: Uint8Array | string): InferenceResponse {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch (error) {
    throw invalid(`the inference response is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = InferenceResponseSchema.safeParse(json);
  if (!parsed.success) throw invalid(`invalid inference response: ${describeIssues(parsed.error.issues)}`);
  const { maskPng, ...rest } = parsed.data;
  const png = Buffer.from(maskPng, "base64");
  if (png.byteLength < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => png[i] !== byte)) {
    throw invalid("the inference response's maskPng is not a PNG");
  }
  return { ...rest, maskPng: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
}
