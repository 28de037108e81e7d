import { type AdapterReference, type AdapterSource, type Adapters, adapterByteSize, catManifestSha256, type StageClock, untimed } from "@semla/adapters";
import { type fusion, type LoraAdapter, peft } from "@semla/core";
import { type BlobStore, fusedObjectKey, sha256Hex } from "@semla/storage";
import { invocationByteLength } from "../transport/envelope.js";
import { TransportError } from "../transport/errors.js";
import { SAGEMAKER_PAYLOAD_LIMIT_BYTES } from "../transport/limits.js";
import type { BackendResponse, InferenceRequest, Invocation } from "../types.js";
import type { BankPlans } from "./sagemaker-bank.js";

/*
 * How a mixture travels to the SageMaker endpoint, the SageMaker backend's own business: the
 * endpoint is another process with no registry, behind a 6 MB payload limit. The local backend
 * has none of this: it takes the fused adapter in process.
 */

export interface AdapterReferenceInput {
  /** The request the reference travels in: its image and class names count toward the payload limit. */
  readonly request: Omit<Invocation, "adapter">;
  /** The fused adapter as the API built it, or null for zero-shot. */
  readonly fused: LoraAdapter | null;
  /** How `fused` was combined from `sources`. */
  readonly combination: fusion.Combination;
  /** The weighted source adapters of the fusion, in fusion order (needed for `cat` over the limit). */
  readonly sources: readonly AdapterSource[];
}

export interface AdapterReferenceOptions {
  /** Default: SageMaker's 6 MB. */
  readonly payloadLimitBytes?: number;
  /** Where fused adapters of other combinations go when they do not fit inline. */
  readonly store?: BlobStore;
}

interface Serialized {
  readonly sha256: string;
  readonly weights: Uint8Array;
}

// Adapters are immutable, so one serialisation (and one sha256) serves every request that reuses it.
const serialized = new WeakMap<LoraAdapter, Serialized>();

function serialize(adapter: LoraAdapter): Serialized {
  let entry = serialized.get(adapter);
  if (!entry) {
    const { weights } = peft.writePeftAdapter(adapter);
    entry = { sha256: sha256Hex(weights), weights };
    serialized.set(adapter, entry);
  }
  return entry;
}

// Per store, the fused objects known to be there (put or seen by this process), and those being put:
// in steady state a request neither uploads nor even asks the store.
const stored = new WeakMap<BlobStore, Map<string, Promise<void>>>();

function ensureStored(store: BlobStore, key: string, weights: Uint8Array): Promise<void> {
  let known = stored.get(store);
  if (!known) {
    known = new Map();
    stored.set(store, known);
  }
  let pending = known.get(key);
  if (!pending) {
    pending = (async () => {
      const info = await store.head(key);
      // Content-addressed: an object of the right size under this key is these bytes.
      if (info?.size !== weights.byteLength) await store.put(key, weights, { contentType: "application/octet-stream" });
    })();
    const map = known;
    pending.catch(() => map.delete(key)); // a failed upload is retried by the next request
    known.set(key, pending);
  }
  return pending;
}

/**
 * Whether an adapter whose F32 factors take `factorBytes` may travel inline with an image of
 * `imageBytes`. The factors are a lower bound of the safetensors (and a cat fusion's factors are at
 * least the sum of its sources'), so `false` is certain and spares serialising, or even fusing.
 */
export function mayFitInline(imageBytes: number, factorBytes: number, payloadLimitBytes: number = SAGEMAKER_PAYLOAD_LIMIT_BYTES): boolean {
  return 4 + imageBytes + factorBytes <= payloadLimitBytes;
}

/** A `cat` fusion by reference: the manifest of its sources, from which the endpoint rebuilds it exactly. */
export function catManifestReference(sources: readonly AdapterSource[]): AdapterReference {
  if (sources.length === 0) throw new TransportError("invalid-reference", "a cat fusion over the payload limit needs its source adapters to be sent by reference");
  const copies = sources.map((s) => ({ sha256: s.sha256, objectKey: s.objectKey, config: s.config, weight: s.weight }));
  return { kind: "cat", sha256: catManifestSha256(copies), sources: copies };
}

/**
 * The reference the API sends for a fused adapter, moving as few bytes as it can:
 * - inline, when the fused safetensors fit in the payload with the image;
 * - for `cat`, a manifest of the sources: the endpoint rebuilds the exact fusion from adapters it
 *   caches, so nothing of the adapter moves per request;
 * - otherwise the fused safetensors, written once to the object store under a key made of their sha256.
 */
export async function adapterReference(input: AdapterReferenceInput, options: AdapterReferenceOptions = {}): Promise<AdapterReference> {
  const { fused, combination, sources, request } = input;
  if (fused === null) return { kind: "none" };
  const limit = options.payloadLimitBytes ?? SAGEMAKER_PAYLOAD_LIMIT_BYTES;

  if (mayFitInline(request.image.byteLength, adapterByteSize(fused), limit)) {
    const { sha256, weights } = serialize(fused);
    const inline: AdapterReference = { kind: "inline", sha256, config: fused.config, weights };
    if (invocationByteLength({ ...request, adapter: inline }) <= limit) return inline;
  }

  if (combination === "cat") return catManifestReference(sources);

  if (!options.store) {
    throw new TransportError("invalid-reference", `a ${combination} fusion over the payload limit must go through the object store, and none is configured`, { combination });
  }
  const { sha256, weights } = serialize(fused);
  const objectKey = fusedObjectKey(sha256);
  await ensureStored(options.store, objectKey, weights);
  return { kind: "object", sha256, objectKey, config: fused.config };
}

export interface DeliveryOptions {
  readonly adapters: Adapters;
  /** Where fused adapters of other combinations than `cat` go when they do not fit inline. */
  readonly store?: BlobStore;
  readonly payloadLimitBytes: number;
  readonly stage?: StageClock;
  readonly signal?: AbortSignal;
  /** Bank mode: a `cat` mixture whose library has a published bank goes as its bank plan (sagemaker-bank.ts). */
  readonly banks?: BankPlans;
}

/**
 * The invocation for a request: its mixture's sources loaded (stage `load`, from the process's one
 * cache), fused here unless a `cat` fusion cannot fit inline (stage `fuse`; the endpoint then
 * rebuilds it from a manifest of its sources, so fusing here would be wasted work), and the
 * reference chosen (stage `transport`). In bank mode a `cat` mixture of a library with a published
 * bank skips all of it: its bank plan travels, with its cat manifest as the fallback.
 */
export async function deliverMixture(request: InferenceRequest, options: DeliveryOptions): Promise<{ invocation: Invocation; fusion: BackendResponse["fusion"] }> {
  const { mixture, ...rest } = request;
  if (!mixture) return { invocation: { ...rest, adapter: { kind: "none" } }, fusion: null };
  const { adapters, payloadLimitBytes: limit, signal } = options;
  const stage = options.stage ?? untimed;
  // Bank mode: the plan's indices and weights, and the cat manifest as the fallback for an endpoint
  // with no bank ready; nothing is loaded or fused here, and no adapter bytes travel.
  const banks = mixture.options.combination === "cat" && request.library ? options.banks : undefined;
  const bank = banks && (await stage("transport", () => banks.plan(request)));
  if (bank) return { invocation: { ...rest, adapter: catManifestReference(mixture.sources), bank }, fusion: { at: "backend", cached: false } };
  const loaded = await stage("load", () => Promise.all(mixture.sources.map((source) => adapters.load(source, signal ? { signal } : {}))));
  const factorBytes = loaded.reduce((sum, adapter) => sum + adapterByteSize(adapter), 0);
  if (mixture.options.combination === "cat" && !mayFitInline(request.image.byteLength, factorBytes, limit)) {
    return { invocation: { ...rest, adapter: catManifestReference(mixture.sources) }, fusion: { at: "backend", cached: false } };
  }
  const fused = await stage("fuse", () => adapters.fuse(mixture, signal ? { signal } : {}));
  const adapter = await stage("transport", () =>
    adapterReference(
      { request: rest, fused: fused.adapter, combination: mixture.options.combination, sources: mixture.sources },
      { ...(options.store && { store: options.store }), payloadLimitBytes: limit },
    ),
  );
  return { invocation: { ...rest, adapter }, fusion: { at: "api", cached: fused.cached } };
}
