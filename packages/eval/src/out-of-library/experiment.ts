import { type CoverageAnswer, type Pipeline, parseOptions, type SegmentOptions, SegmentOptionsSchema } from "@semla/pipeline";
import type { AdapterIndex, LibraryRecord, StoredCalibration } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import { decodeLabelPng } from "../label-png.js";
import { ConfusionMatrix } from "../miou.js";
import type { EvalSample } from "../runner.js";
import { createHeldOutLibrary } from "./held-out-library.js";

/** Domains held out of the library together: one domain and its neighbours. */
export interface HeldOutGroup {
  readonly name: string;
  readonly domains: readonly string[];
}

/**
 * The synthetic world's held-out groups, in one place. On the demo world (seed 7) warm-cast is
 * isolated (its leave-one-out nearest centroid 0.305 away, the others' 0.009–0.11); the night and
 * blur families are groups of close neighbours, so holding one member out would leave its
 * neighbours to cover it.
 */
export const WORLD_HELD_OUT_GROUPS: readonly HeldOutGroup[] = Object.freeze([
  { name: "warm-cast", domains: ["warm-cast"] },
  { name: "night family", domains: ["night", "night+noise", "rain+night", "fog+night"] },
  { name: "blur family", domains: ["blur", "blur+noise", "rain+blur"] },
]);

/** mIoU (0–1) of one set of images under forced fusion, the zeroshot policy, and the base model alone. */
export interface PolicyMiou {
  /** Policy fuse: SemLA's k nearest, however far (today's default). */
  readonly fuse: number | null;
  /** Policy zeroshot: the base model for images flagged out-of-library, SemLA for the rest. */
  readonly fallback: number | null;
  /** The base model for every image. */
  readonly zeroshot: number | null;
}

export interface CoverageDomainResult {
  readonly domain: string;
  /** Whether the domain's adapter was held out of the library (else it is in the library). */
  readonly heldOut: boolean;
  readonly images: number;
  /** Images the library's coverage flagged out-of-library. */
  readonly flagged: number;
  readonly miou: PolicyMiou;
}

/** A side of the experiment (the held-out domains, or the in-library ones). */
export interface CoverageSide {
  readonly domains: number;
  readonly images: number;
  readonly flagged: number;
  /** flagged ÷ images: the detection rate held out, the false-positive rate in the library. */
  readonly flaggedRate: number;
  /** Mean over the side's domains of each domain's mIoU. */
  readonly miou: PolicyMiou;
  /** mIoU over the flagged images only, pooled (null: none flagged): fallback equals zeroshot here by construction. */
  readonly flaggedMiou: PolicyMiou | null;
}

export interface CoverageGroupResult {
  readonly group: string;
  readonly heldOut: readonly string[];
  readonly library: { readonly id: string; readonly name: string; readonly adapters: number; readonly calibration: StoredCalibration | null };
  readonly domains: readonly CoverageDomainResult[];
  readonly heldOutSide: CoverageSide;
  readonly inLibrary: CoverageSide;
  /** Each image's coverage as the fuse run answered it, and whether the zeroshot run fell back. */
  readonly images: readonly { readonly domain: string; readonly image: string; readonly coverage: CoverageAnswer; readonly fallback: boolean }[];
}

export interface CoverageExperimentResult {
  readonly groups: readonly CoverageGroupResult[];
}

export interface CoverageDomain {
  readonly domain: string;
  /** Read more than once (once per group): a list, not a stream. */
  readonly samples: readonly EvalSample[];
}

export interface CoverageExperimentOptions {
  readonly tenant: string;
  /** The full library: its kind is mirrored, and the base model runs through it. */
  readonly source: LibraryRecord;
  /** The loradb folder the full library was imported from (the held-out libraries are built from it). */
  readonly loradb: string;
  readonly classNames: readonly string[];
  readonly groups?: readonly HeldOutGroup[];
  readonly onProgress?: (message: string) => void;
}

const SEMLA_FUSE = parseOptions(SegmentOptionsSchema, { mode: "semla", coverage: "fuse" });
const SEMLA_FALLBACK = parseOptions(SegmentOptionsSchema, { mode: "semla", coverage: "zeroshot" });
const ZEROSHOT = parseOptions(SegmentOptionsSchema, { mode: "zeroshot" });

type Policy = keyof PolicyMiou;
const POLICIES: readonly Policy[] = ["fuse", "fallback", "zeroshot"];
const matrices = (classes: number) => Object.fromEntries(POLICIES.map((p) => [p, new ConfusionMatrix(classes)])) as Record<Policy, ConfusionMatrix>;
const miouOf = (m: Record<Policy, ConfusionMatrix>): PolicyMiou => ({ fuse: m.fuse.meanIou(), fallback: m.fallback.meanIou(), zeroshot: m.zeroshot.meanIou() });

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((s, v) => s + v, 0) / present.length;
}

function side(rows: readonly CoverageDomainResult[], flagged: Record<Policy, ConfusionMatrix>): CoverageSide {
  const images = rows.reduce((s, r) => s + r.images, 0);
  const count = rows.reduce((s, r) => s + r.flagged, 0);
  return {
    domains: rows.length,
    images,
    flagged: count,
    flaggedRate: images === 0 ? 0 : count / images,
    miou: { fuse: mean(rows.map((r) => r.miou.fuse)), fallback: mean(rows.map((r) => r.miou.fallback)), zeroshot: mean(rows.map((r) => r.miou.zeroshot)) },
    flaggedMiou: count === 0 ? null : miouOf(flagged),
  };
}

/**
 * Out-of-library detection on held-out domains. Per group, a library built without the group's
 * adapters (createHeldOutLibrary: they are neither routed to nor part of its calibration); every
 * test image of every domain is segmented through the pipeline with SemLA under policy fuse and
 * policy zeroshot, and by the base model. Held-out images should be flagged (detection rate) and
 * gain from the fallback; in-library images should not be flagged (false-positive rate), and where
 * none is, the fallback costs nothing (its masks are fusion's).
 */
export async function runCoverageExperiment(
  deps: { readonly pipeline: Pick<Pipeline, "segment">; readonly index: AdapterIndex; readonly store: BlobStore },
  domains: readonly CoverageDomain[],
  options: CoverageExperimentOptions,
): Promise<CoverageExperimentResult> {
  const { pipeline } = deps;
  const classes = options.classNames.length;
  const segment = async (libraryId: string, image: Uint8Array, segmentOptions: SegmentOptions) => {
    const result = await pipeline.segment({ tenant: options.tenant, libraryId, image, classNames: options.classNames, options: segmentOptions });
    return { result, labels: (await decodeLabelPng(result.maskPng)).labels };
  };
  // The base model's masks, once: they do not depend on the library's adapters.
  const base = new Map<string, Uint8Array>();
  for (const d of domains) for (const s of d.samples) base.set(`${d.domain}/${s.name}`, (await segment(options.source.id, s.image, ZEROSHOT)).labels);

  const groups: CoverageGroupResult[] = [];
  for (const group of options.groups ?? WORLD_HELD_OUT_GROUPS) {
    const library = await createHeldOutLibrary(deps, {
      tenant: options.tenant,
      source: options.source,
      loradb: options.loradb,
      heldOut: group.domains,
      name: `${options.source.name} without ${group.name}`,
    });
    const rows: CoverageDomainResult[] = [];
    const flagged = { heldOut: matrices(classes), inLibrary: matrices(classes) };
    const images: CoverageGroupResult["images"][number][] = [];
    for (const d of domains) {
      const heldOut = group.domains.includes(d.domain);
      const m = matrices(classes);
      let count = 0;
      for (const s of d.samples) {
        const fused = await segment(library.id, s.image, SEMLA_FUSE);
        const policy = await segment(library.id, s.image, SEMLA_FALLBACK);
        const zeroshot = base.get(`${d.domain}/${s.name}`) as Uint8Array;
        const coverage = fused.result.coverage as CoverageAnswer;
        const fallback = (policy.result.coverage as CoverageAnswer).fallback;
        images.push({ domain: d.domain, image: s.name, coverage, fallback });
        m.fuse.add(s.labels, fused.labels);
        m.fallback.add(s.labels, policy.labels);
        m.zeroshot.add(s.labels, zeroshot);
        if (coverage.status === "out-of-library") {
          count++;
          const pooled = heldOut ? flagged.heldOut : flagged.inLibrary;
          pooled.fuse.add(s.labels, fused.labels);
          pooled.fallback.add(s.labels, policy.labels);
          pooled.zeroshot.add(s.labels, zeroshot);
        }
      }
      rows.push({ domain: d.domain, heldOut, images: d.samples.length, flagged: count, miou: miouOf(m) });
    }
    const stored = await deps.index.getLibrary(options.tenant, library.id);
    const adapters = (await deps.index.listAdapters(options.tenant, { libraryId: library.id, status: "active", limit: 100 })).items.length;
    const result: CoverageGroupResult = {
      group: group.name,
      heldOut: [...group.domains],
      library: { id: library.id, name: library.name, adapters, calibration: stored?.calibration ?? null },
      domains: rows,
      heldOutSide: side(
        rows.filter((r) => r.heldOut),
        flagged.heldOut,
      ),
      inLibrary: side(
        rows.filter((r) => !r.heldOut),
        flagged.inLibrary,
      ),
      images,
    };
    groups.push(result);
    const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
    options.onProgress?.(`${group.name} held out: ${pct(result.heldOutSide.flaggedRate)} of its images flagged, ${pct(result.inLibrary.flaggedRate)} of in-library images flagged`);
  }
  return { groups };
}
