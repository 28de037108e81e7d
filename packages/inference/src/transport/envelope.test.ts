import { type AdapterReference, catManifestSha256 } from "@semla/adapters";
import { safetensorsOf, smallAdapter } from "@semla/adapters/testing";
import { fusedObjectKey, sha256Hex } from "@semla/storage";
import { describe, expect, it } from "vitest";
import type { Invocation } from "../types.js";
import { decodeInvocation, encodeInvocation, invocationByteLength, MAX_INVOCATION_HEADER_BYTES } from "./envelope.js";

const image = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const adapter = smallAdapter(1);
const weights = safetensorsOf(adapter);
const sha = sha256Hex(weights);
const sourceKey = (s: string) => `adapters/11111111-1111-1111-1111-111111111111/22222222-2222-2222-2222-222222222222/v1/${s}.safetensors`;
const sources = [
  { sha256: sha, objectKey: sourceKey(sha), config: adapter.config, weight: 0.75 },
  { sha256: "a".repeat(64), objectKey: sourceKey("a".repeat(64)), config: adapter.config, weight: 0.25 },
];

const references: Record<AdapterReference["kind"], AdapterReference> = {
  none: { kind: "none" },
  inline: { kind: "inline", sha256: sha, config: adapter.config, weights },
  cat: { kind: "cat", sha256: catManifestSha256(sources), sources },
  object: { kind: "object", sha256: sha, objectKey: fusedObjectKey(sha), config: adapter.config },
};

/** A body with the given header JSON and payload after it. */
function body(header: unknown, payload: Uint8Array = image, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(4 + json.byteLength + payload.byteLength);
  new DataView(out.buffer).setUint32(0, declaredLength ?? json.byteLength, true);
  out.set(json, 4);
  out.set(payload, 4 + json.byteLength);
  return out;
}

const validHeader = { version: 1, classNames: ["road", "sky"], adapter: { kind: "none" }, imageByteLength: image.byteLength, weightsByteLength: 0 };

function decodeError(bytes: Uint8Array): unknown {
  try {
    decodeInvocation(bytes);
  } catch (error) {
    return error;
  }
  throw new Error("decodeInvocation accepted a malformed envelope");
}

describe("invocation envelope", () => {
  it("lays out u32 LE header length, JSON header, image, weights", () => {
    const encoded = encodeInvocation({ image, classNames: ["road", "sky"], adapter: { kind: "none" }, requestId: "req-1" });
    const header = '{"version":1,"requestId":"req-1","classNames":["road","sky"],"adapter":{"kind":"none"},"imageByteLength":7,"weightsByteLength":0}';
    expect(new DataView(encoded.buffer).getUint32(0, true)).toBe(header.length);
    expect(new TextDecoder().decode(encoded.subarray(4, 4 + header.length))).toBe(header);
    expect([...encoded.subarray(4 + header.length)]).toEqual([...image]);
    expect(encoded.byteLength).toBe(4 + header.length + 7);
  });

  it.each(Object.keys(references) as AdapterReference["kind"][])("round-trips a %s adapter reference", (kind) => {
    const request: Invocation = { image, classNames: ["road", "sky", "car"], adapter: references[kind], requestId: `r-${kind}` };
    const encoded = encodeInvocation(request);
    expect(encoded.byteLength).toBe(invocationByteLength(request));
    const decoded = decodeInvocation(encoded);
    expect(decoded).toEqual(request);
    expect(decoded.image).toBeInstanceOf(Uint8Array);
  });

  it("puts inline weights after the image, and only there", () => {
    const encoded = encodeInvocation({ image, classNames: ["a"], adapter: references.inline });
    expect([...encoded.subarray(encoded.byteLength - weights.byteLength)]).toEqual([...weights]);
    const header = JSON.parse(new TextDecoder().decode(encoded.subarray(4, 4 + new DataView(encoded.buffer).getUint32(0, true)))) as Record<string, unknown>;
    expect(header.weightsByteLength).toBe(weights.byteLength);
    expect(header.adapter).toEqual({ kind: "inline", sha256: sha, config: adapter.config });
  });

  it("omits requestId when there is none", () => {
    expect(decodeInvocation(encodeInvocation({ image, classNames: ["a"], adapter: { kind: "none" } }))).toEqual({ image, classNames: ["a"], adapter: { kind: "none" } });
  });

  it.each([
    ["an empty image", { image: new Uint8Array(0) }, "imageByteLength: the image is empty"],
    ["a bad sha256", { adapter: { ...references.object, sha256: "XYZ" } as AdapterReference }, "adapter.sha256: must be 64 lowercase hex digits"],
    [
      "an object key not made of the sha256",
      { adapter: { ...references.object, objectKey: "fused/other.safetensors" } as AdapterReference },
      "adapter.objectKey: objectKey must be fused/<sha256>.safetensors",
    ],
    ["inline without weights", { adapter: { ...references.inline, weights: new Uint8Array(0) } as AdapterReference }, "weightsByteLength: an inline adapter needs its weights"],
    ["a non-finite source weight", { adapter: { ...references.cat, sources: [{ ...sources[0]!, weight: Number.NaN }] } as AdapterReference }, "adapter.sources.0.weight"],
    ["a request id with spaces", { requestId: "a b" }, "requestId: must be 1-128 printable ASCII characters"],
  ])("refuses to encode a request with %s", (_, change, message) => {
    const request = { image, classNames: ["road"], adapter: { kind: "none" } as AdapterReference, ...change };
    expect(() => encodeInvocation(request)).toThrow(expect.objectContaining({ code: "transport.invalid-invocation", message: expect.stringContaining(message) }));
  });

  it.each([
    ["no class names", [], "segment.no-classes", {}],
    ["a blank class name", ["road", "  "], "segment.invalid-class-name", { index: 1 }],
    ["duplicate class names", ["road", "road"], "segment.duplicate-class-name", { name: "road", indices: [0, 1] }],
  ])("encoding and decoding refuse %s with the class list's own code, as the API does", (_, classNames, code, details) => {
    expect(() => encodeInvocation({ image, classNames, adapter: { kind: "none" } })).toThrow(expect.objectContaining({ code, details: expect.objectContaining(details) }));
    expect(decodeError(body({ ...validHeader, classNames }))).toMatchObject({ code, details });
  });

  describe("decoding refuses a malformed envelope", () => {
    it.each([
      ["fewer than 4 bytes", new Uint8Array([1, 0]), "the invocation is 2 bytes; it must start with a 4-byte header length"],
      ["a zero header length", new Uint8Array([0, 0, 0, 0, 1]), "the invocation header length is 0"],
      ["a header length past the end", body(validHeader, image, 5000), "the invocation header length is 5000 bytes but only"],
      ["a header length over the limit", body(validHeader, image, MAX_INVOCATION_HEADER_BYTES + 1), `over the ${MAX_INVOCATION_HEADER_BYTES}-byte limit`],
      ["a header that is not UTF-8", body("\u0000", image).map((b, i) => (i === 4 ? 0xff : b)), "the invocation header is not valid UTF-8"],
      ["a header that is not JSON", body("{nope", image), "the invocation header is not valid JSON"],
      ["a header of another version", body({ ...validHeader, version: 2 }), "invalid invocation header: version:"],
      ["an unknown adapter kind", body({ ...validHeader, adapter: { kind: "lora" } }), "invalid invocation header: adapter.kind:"],
      ["weights with a none adapter", body({ ...validHeader, weightsByteLength: 2 }, new Uint8Array([...image, 1, 2])), "weightsByteLength: a none adapter reference carries no weights"],
      ["a truncated image", body(validHeader, image.subarray(0, 5)), "but its header accounts for"],
      ["trailing bytes", body(validHeader, new Uint8Array([...image, 9])), "but its header accounts for"],
      ["a cat manifest without sources", body({ ...validHeader, adapter: { kind: "cat", sha256: "a".repeat(64), sources: [] } }), "adapter.sources:"],
      [
        "a source key outside its sha256",
        body({ ...validHeader, adapter: { kind: "cat", sha256: "a".repeat(64), sources: [{ ...sources[0], objectKey: "../etc/passwd" }] } }),
        "adapter.sources.0.objectKey",
      ],
      ["an unsupported adapter config", body({ ...validHeader, adapter: { kind: "object", sha256: sha, objectKey: fusedObjectKey(sha), config: { ...adapter.config, use_dora: true } } }), "use_dora"],
    ])("%s", (_, bytes, message) => {
      expect(decodeError(bytes)).toMatchObject({ code: "transport.invalid-invocation", message: expect.stringContaining(message) });
    });
  });

  it("decodes a body that is a view into a larger buffer", () => {
    const encoded = encodeInvocation({ image, classNames: ["a"], adapter: references.inline });
    const padded = new Uint8Array(encoded.byteLength + 13);
    padded.set(encoded, 5);
    expect(decodeInvocation(padded.subarray(5, 5 + encoded.byteLength))).toEqual({ image, classNames: ["a"], adapter: references.inline });
  });

  describe("with a bank plan", () => {
    const bank = { library: "lib-1", generation: 3, indices: [4, 0, 19], weights: [0.5, 0.3, 0.2] };

    it("sends (library, generation, indices, weights) in a version 2 header, beside the fallback reference or none, and reads it back", () => {
      const encoded = encodeInvocation({ image, classNames: ["road"], adapter: { kind: "none" }, bank });
      const header =
        '{"version":2,"classNames":["road"],"adapter":{"kind":"none"},"bank":{"library":"lib-1","generation":3,"indices":[4,0,19],"weights":[0.5,0.3,0.2]},"imageByteLength":7,"weightsByteLength":0}';
      expect(new TextDecoder().decode(encoded.subarray(4, 4 + header.length))).toBe(header);
      expect(decodeInvocation(encoded)).toEqual({ image, classNames: ["road"], adapter: { kind: "none" }, bank });
      expect(decodeInvocation(encodeInvocation({ image, classNames: ["road"], adapter: references.cat, bank }))).toEqual({ image, classNames: ["road"], adapter: references.cat, bank });
      // A few hundred bytes, where the cat manifest of the same plan is kilobytes.
      expect(header.length).toBeLessThan(200);
    });

    it("refuses a plan in a version 1 header, version 2 without a plan, and a plan whose lengths differ", () => {
      const withBank = { ...validHeader, bank };
      expect(decodeError(body(withBank))).toMatchObject({ code: "transport.invalid-invocation", message: expect.stringContaining("a header with a bank plan is version 2, one without is version 1") });
      expect(decodeError(body({ ...validHeader, version: 2 }))).toMatchObject({ message: expect.stringContaining("a header with a bank plan is version 2") });
      expect(decodeError(body({ ...withBank, version: 2, bank: { ...bank, weights: [1] } }))).toMatchObject({ message: expect.stringContaining("indices and weights must have the same length") });
      expect(decodeError(body({ ...withBank, version: 2, bank: { ...bank, library: "../x" } }))).toMatchObject({ message: expect.stringContaining("must be 1-128 characters of [A-Za-z0-9._-]") });
      expect(() => encodeInvocation({ image, classNames: ["road"], adapter: { kind: "none" }, bank: { ...bank, indices: [-1, 0, 1] } })).toThrow(/bank\.indices\.0/);
    });
  });
});
