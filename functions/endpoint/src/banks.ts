import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Adapters } from "@semla/adapters";
import {
  type BankItem,
  BankManifestSchema,
  BankSegmenter,
  type BankSessions,
  BatchWindow,
  bankManifestKey,
  type ClassTextEncoder,
  type ExecutionProviderName,
  type Invocation,
  type SegmentationOutput,
} from "@semla/inference";
import { bankBytes, joinParts, prepareBankSegmenter, readModelGraph, type SegmenterSpec, stackLoraBank } from "@semla/models";
import type { BlobStore } from "@semla/storage";

/**
 * Bank mode at the endpoint: a bank session per active library (inference's BankSessions), requests
 * with a plan for the same library, generation and class names batched within a short window
 * (BatchWindow), each image with its own indices and weights. A request whose library has no bank
 * ready yet gets null here (and starts its build): the app then serves it as today, from its
 * adapter reference.
 */

export interface EndpointBanks {
  /** The answer from the library's bank, or null when none is ready (its build is started). */
  segment(
    request: { readonly image: Uint8Array; readonly classNames: readonly string[]; readonly bank: NonNullable<Invocation["bank"]> },
    options?: { signal?: AbortSignal },
  ): Promise<SegmentationOutput | null>;
  close(): Promise<void>;
}

export interface EndpointBanksOptions {
  readonly sessions: BankSessions<BankSegmenter>;
  /** Batching window in ms (0: each request alone). */
  readonly windowMs: number;
  readonly maxBatch: number;
}

interface BatchKey {
  readonly id: string;
  readonly session: BankSegmenter;
  readonly classNames: readonly string[];
}

export function createEndpointBanks(options: EndpointBanksOptions): EndpointBanks & { readonly window: BatchWindow<BatchKey, BankItem, SegmentationOutput> } {
  const window = new BatchWindow<BatchKey, BankItem, SegmentationOutput>({
    windowMs: options.windowMs,
    maxBatch: options.maxBatch,
    keyOf: (key) => key.id,
    run: (key, items) => key.session.segmentBatch(key.classNames, items),
  });
  return {
    window,
    async segment({ image, classNames, bank }, { signal } = {}) {
      const session = options.sessions.ready(bank.library, bank.generation);
      if (!session) return null;
      const key = { id: JSON.stringify([bank.library, bank.generation, classNames]), session, classNames };
      return window.submit(key, { image, plan: { indices: bank.indices, weights: bank.weights }, ...(signal && { signal }) }, signal);
    },
    close: () => options.sessions.close(),
  };
}

export interface BankBuilderOptions {
  /** Where bank manifests and the adapters they name are read from. */
  readonly store: BlobStore;
  readonly adapters: Adapters;
  /** The pack's segmenter (LoRA-ready): the bank graph is made from its file. */
  readonly segmenter: SegmenterSpec;
  readonly text: ClassTextEncoder;
  readonly executionProviders?: readonly ExecutionProviderName[];
}

/**
 * Builds a library's bank at a generation: its manifest (banks/<library>/<generation>.json) from the
 * store, the adapters it names (verified by sha256, through the process's adapters), stacked and
 * baked into the pack's segmenter, loaded in a session of its own. Its bytes: the graph (weights
 * and bank) and the external data it reads.
 */
export function bankBuilder(options: BankBuilderOptions) {
  return async (library: string, generation: number) => {
    const manifest = BankManifestSchema.parse(JSON.parse(new TextDecoder().decode(await options.store.get(bankManifestKey(library, generation)))));
    if (manifest.library !== library || manifest.generation !== generation) {
      throw new RangeError(`${bankManifestKey(library, generation)} names ${manifest.library} at generation ${manifest.generation}`);
    }
    const adapters = await Promise.all(manifest.adapters.map((stored) => options.adapters.load(stored)));
    const bank = stackLoraBank(adapters);
    const known = new Map(options.segmenter.loraModules.map((m) => [m.name, m]));
    for (const m of bank.modules) {
      const target = known.get(m.name);
      if (!target || target.inFeatures !== m.inFeatures || target.outFeatures !== m.outFeatures) {
        throw new RangeError(
          `the bank's module ${m.name} [${m.outFeatures}, ${m.inFeatures}] is not a LoRA module of the segmenter${target ? ` (it is [${target.outFeatures}, ${target.inFeatures}])` : ""}`,
        );
      }
    }
    const exported = new Uint8Array(await readFile(options.segmenter.path));
    const model = joinParts(prepareBankSegmenter(exported, bank).model);
    const dir = path.dirname(options.segmenter.path);
    const externalData = Object.fromEntries(readModelGraph(exported).externalData.map((name) => [name, path.join(dir, name)]));
    let externalBytes = 0;
    for (const file of Object.values(externalData)) externalBytes += (await stat(file)).size;
    const session = await BankSegmenter.create({
      segmenter: options.segmenter,
      model,
      size: bank.size,
      text: options.text,
      externalData,
      ...(options.executionProviders && { executionProviders: options.executionProviders }),
    });
    return { session, bytes: model.byteLength + externalBytes, bankBytes: bankBytes(bank) };
  };
}
