import type { AdapterReference } from "@semla/adapters";
import { describeIssues, errorOfIssues, issueList, LIMITS } from "@semla/core";
import { z } from "zod";
import { ClassNamesSchema } from "../segment/class-names.js";
import type { InferenceRequest, Invocation } from "../types.js";
import { TransportError } from "./errors.js";
import { type AdapterReferenceHeader, AdapterReferenceHeaderSchema, BankPlanSchema } from "./schemas.js";

/**
 * The body the API sends to the endpoint. Binary, because base64 would spend a third of
 * SageMaker's 6 MB on encoding:
 *
 *   u32 little-endian header length | header (UTF-8 JSON) | image bytes | inline adapter weights
 *
 * The header names the byte lengths of what follows, so every byte of the body is accounted for.
 */
export const INVOCATION_CONTENT_TYPE = "application/x-semla-invocation";
export const INVOCATION_VERSION = 1;
/** An envelope with a bank plan: an endpoint that predates banks refuses it (version 1 only) instead of ignoring the plan. */
export const INVOCATION_BANK_VERSION = 2;

const PREFIX_LENGTH = 4;
/** Far above a real header (a manifest of 64 sources with their configs), far below the body limit. */
export const MAX_INVOCATION_HEADER_BYTES = 4 * 1024 * 1024;

export const InvocationHeaderSchema = z
  .object({
    version: z.union([z.literal(INVOCATION_VERSION), z.literal(INVOCATION_BANK_VERSION)]),
    requestId: z
      .string()
      .regex(new RegExp(`^[\\x21-\\x7e]{1,${LIMITS.requestId}}$`), `must be 1-${LIMITS.requestId} printable ASCII characters`)
      .optional(),
    classNames: ClassNamesSchema,
    adapter: AdapterReferenceHeaderSchema,
    /** Bank mode: the plan for the library's bank; `adapter` is then what to apply when the endpoint has no bank ready (`none`: answer bank-not-ready). */
    bank: BankPlanSchema.optional(),
    imageByteLength: z.number().int().positive("the image is empty"),
    weightsByteLength: z.number().int().nonnegative(),
  })
  .superRefine((header, ctx) => {
    if ((header.bank !== undefined) !== (header.version === INVOCATION_BANK_VERSION)) {
      ctx.addIssue({ code: "custom", path: ["version"], message: `a header with a bank plan is version ${INVOCATION_BANK_VERSION}, one without is version ${INVOCATION_VERSION}` });
    }
    const inline = header.adapter.kind === "inline";
    if (inline && header.weightsByteLength === 0) ctx.addIssue({ code: "custom", path: ["weightsByteLength"], message: "an inline adapter needs its weights" });
    if (!inline && header.weightsByteLength !== 0) {
      ctx.addIssue({ code: "custom", path: ["weightsByteLength"], message: `a ${header.adapter.kind} adapter reference carries no weights` });
    }
  });

export type InvocationHeader = z.output<typeof InvocationHeaderSchema>;

function invalid(message: string, details: Record<string, unknown> = {}): TransportError {
  return new TransportError("invalid-invocation", message, details);
}

function headerAdapter(adapter: AdapterReference): AdapterReferenceHeader {
  switch (adapter.kind) {
    case "none":
      return { kind: "none" };
    case "inline":
      return { kind: "inline", sha256: adapter.sha256, config: adapter.config };
    case "cat":
      return { kind: "cat", sha256: adapter.sha256, sources: adapter.sources.map((s) => ({ sha256: s.sha256, objectKey: s.objectKey, config: s.config, weight: s.weight })) };
    case "object":
      return { kind: "object", sha256: adapter.sha256, objectKey: adapter.objectKey, config: adapter.config };
  }
}

function inlineWeights(adapter: AdapterReference): Uint8Array {
  return adapter.kind === "inline" ? adapter.weights : new Uint8Array(0);
}

/** Validates the header a request makes: the same rules the endpoint applies, so a bad request fails before it is sent. */
function checkedHeader(request: Invocation): InvocationHeader {
  // The header as sent keeps the caller's values (zod's defaults would change the config's JSON).
  const header: InvocationHeader = {
    version: request.bank ? INVOCATION_BANK_VERSION : INVOCATION_VERSION,
    ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    classNames: [...request.classNames],
    adapter: headerAdapter(request.adapter),
    ...(request.bank && { bank: { library: request.bank.library, generation: request.bank.generation, indices: [...request.bank.indices], weights: [...request.bank.weights] } }),
    imageByteLength: request.image.byteLength,
    weightsByteLength: inlineWeights(request.adapter).byteLength,
  };
  const parsed = InvocationHeaderSchema.safeParse(header);
  if (!parsed.success) {
    // A rule with its own code (the class list's) is answered with it, as the API answers it.
    throw errorOfIssues(parsed.error.issues) ?? invalid(`invalid inference request: ${describeIssues(parsed.error.issues)}`, { issues: issueList(parsed.error.issues) });
  }
  return header;
}

/** Throws TransportError (transport.invalid-invocation) for an image, class names or request id the endpoint would refuse. */
export function checkInferenceRequest({ mixture: _, ...request }: InferenceRequest): void {
  checkedHeader({ ...request, adapter: { kind: "none" } });
}

export function encodeInvocation(request: Invocation): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(checkedHeader(request)));
  if (header.byteLength > MAX_INVOCATION_HEADER_BYTES) {
    throw invalid(`the invocation header is ${header.byteLength} bytes, over the ${MAX_INVOCATION_HEADER_BYTES}-byte limit`, { headerBytes: header.byteLength });
  }
  const weights = inlineWeights(request.adapter);
  const body = new Uint8Array(PREFIX_LENGTH + header.byteLength + request.image.byteLength + weights.byteLength);
  new DataView(body.buffer).setUint32(0, header.byteLength, true);
  body.set(header, PREFIX_LENGTH);
  body.set(request.image, PREFIX_LENGTH + header.byteLength);
  body.set(weights, PREFIX_LENGTH + header.byteLength + request.image.byteLength);
  return body;
}

function parseHeader(bytes: Uint8Array): InvocationHeader {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid("the invocation header is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(`the invocation header is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = InvocationHeaderSchema.safeParse(json);
  if (!parsed.success) {
    throw errorOfIssues(parsed.error.issues) ?? invalid(`invalid invocation header: ${describeIssues(parsed.error.issues)}`, { issues: issueList(parsed.error.issues) });
  }
  return parsed.data;
}

/** Reads an envelope; every way it can be malformed is a TransportError (transport.invalid-invocation) saying which. */
export function decodeInvocation(body: Uint8Array): Invocation {
  if (body.byteLength < PREFIX_LENGTH) {
    throw invalid(`the invocation is ${body.byteLength} bytes; it must start with a ${PREFIX_LENGTH}-byte header length`, { bytes: body.byteLength });
  }
  const headerLength = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true);
  if (headerLength === 0) throw invalid("the invocation header length is 0");
  if (headerLength > MAX_INVOCATION_HEADER_BYTES) {
    throw invalid(`the invocation header length is ${headerLength} bytes, over the ${MAX_INVOCATION_HEADER_BYTES}-byte limit`, { headerLength });
  }
  if (PREFIX_LENGTH + headerLength > body.byteLength) {
    throw invalid(`the invocation header length is ${headerLength} bytes but only ${body.byteLength - PREFIX_LENGTH} follow`, { headerLength, bytes: body.byteLength });
  }
  const header = parseHeader(body.subarray(PREFIX_LENGTH, PREFIX_LENGTH + headerLength));

  const imageStart = PREFIX_LENGTH + headerLength;
  const weightsStart = imageStart + header.imageByteLength;
  const expected = weightsStart + header.weightsByteLength;
  if (expected !== body.byteLength) {
    throw invalid(
      `the invocation is ${body.byteLength} bytes but its header accounts for ${expected} (${PREFIX_LENGTH} + header ${headerLength} + image ${header.imageByteLength} + weights ${header.weightsByteLength})`,
      { bytes: body.byteLength, expected },
    );
  }
  const image = body.subarray(imageStart, weightsStart);
  const adapter: AdapterReference = header.adapter.kind === "inline" ? { ...header.adapter, weights: body.subarray(weightsStart, expected) } : header.adapter;
  return { image, classNames: header.classNames, adapter, ...(header.requestId === undefined ? {} : { requestId: header.requestId }), ...(header.bank && { bank: header.bank }) };
}

/** Bytes encodeInvocation would produce, without building the body. */
export function invocationByteLength(request: Invocation): number {
  const header = new TextEncoder().encode(JSON.stringify(checkedHeader(request)));
  return PREFIX_LENGTH + header.byteLength + request.image.byteLength + inlineWeights(request.adapter).byteLength;
}
