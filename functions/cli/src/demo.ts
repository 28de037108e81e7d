import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Adapters, createAdapters } from "@semla/adapters";
import { CATSEG_L_ALPHA, CATSEG_L_MODULES, CATSEG_L_RANK, denseDelta, fusion, type LoraAdapter, numpy, peft, randomAdapter, routing } from "@semla/core";
import { type AdapterIndex, createPgliteAdapterIndex, importLoraDb, type LibraryRecord } from "@semla/registry";
import { type BlobStore, createFsBlobStore } from "@semla/storage";
import { generator } from "@semla/world";
import { bar, bytes, table } from "./format.js";

/** Domains of the demo library: combinations of visual shifts, as in the SemLA paper's benchmark. */
const DOMAINS: ReadonlyArray<readonly string[]> = [[], ["fog"], ["night"], ["rain"], ["snow"], ["fog", "night"], ["rain", "night"], ["overexposure"]];
const domainId = (shifts: readonly string[]) => shifts.join("+") || "clear";
const BASE_MODEL = "semla/catseg-l-demo";

/** Writes the library as SemLA's reference code lays it out: loradb/<domain>/{adapter files, <domain>_statistics.npz}. */
async function writeLoraDb(root: string, seed: number): Promise<void> {
  const space = generator.domainSpace(768, seed);
  for (const [i, shifts] of DOMAINS.entries()) {
    const id = domainId(shifts);
    const adapter = randomAdapter({ modules: CATSEG_L_MODULES, rank: CATSEG_L_RANK, alpha: CATSEG_L_ALPHA, seed: seed * 100 + i, baseModel: BASE_MODEL });
    const files = peft.writePeftAdapter(adapter);
    const folder = join(root, id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "adapter_config.json"), files.config);
    await writeFile(join(folder, "adapter_model.safetensors"), files.weights);
    const statistics = numpy.writeNpz({ [numpy.SEMLA_CENTROID_KEY]: { shape: [1, space.dimension], data: space.centroid(shifts) } });
    await writeFile(join(folder, `${id}_statistics.npz`), statistics);
  }
}

/** The embedded registry: PGlite + pgvector and a filesystem object store, under `root`. */
async function openRegistry(root: string): Promise<{ index: AdapterIndex; store: BlobStore; library: LibraryRecord; adapters: Adapters }> {
  await mkdir(root, { recursive: true });
  const index = await createPgliteAdapterIndex({ dataDir: join(root, "db") });
  const store = createFsBlobStore({ root: join(root, "blobs") });
  const library =
    (await index.listLibraries("demo")).find((l) => l.name === "demo") ??
    (await index.createLibrary({ tenant: "demo", name: "demo", baseModelId: BASE_MODEL, embeddingModelId: "clip-vit-l-14 (synthetic)", dimension: 768, metric: "euclidean" }));
  return { index, library, store, adapters: createAdapters({ store }) };
}

function printPlan(title: string, plan: routing.FusionPlan, names: ReadonlyMap<string, string>): void {
  console.log(`\n${title}`);
  console.log(
    table(
      ["#", "adapter", "distance", "similarity", "weight", ""],
      plan.adapters.map((a) => [String(a.rank), names.get(a.id) ?? a.id, a.distance?.toFixed(4) ?? "-", a.similarity?.toFixed(3) ?? "∞", a.weight.toFixed(4), bar(a.weight)]),
    ),
  );
  console.log(`metric ${plan.metric}, similarity ${plan.similarity}, temperature ${plan.temperature}, k ${plan.k}${plan.exclude.length ? `, excluded ${plan.exclude.join(", ")}` : ""}`);
}

/** Largest |ΔW_fused − Σ wᵢ·sᵢ·BᵢAᵢ| on one module: the exactness of `cat`, checked by dense math. */
function exactnessError(fused: LoraAdapter, inputs: readonly fusion.WeightedAdapter[], moduleName: string): number {
  const got = denseDelta(fused.modules.find((m) => m.name === moduleName)!);
  const want = new Float64Array(got.length);
  for (const { adapter, weight } of inputs) {
    denseDelta(adapter.modules.find((m) => m.name === moduleName)!).forEach((x, i) => {
      want[i]! += weight * x;
    });
  }
  return got.reduce((max, x, i) => Math.max(max, Math.abs(x - want[i]!)), 0);
}

export async function runDemo({ root, seed }: { root: string; seed: number }): Promise<void> {
  const loradb = join(root, "loradb");
  console.log(`SemLA Serve demo: routing and fusion over a generated library of ${DOMAINS.length} CAT-Seg-L-shaped LoRA adapters`);
  console.log(`(${CATSEG_L_MODULES.length} modules, rank ${CATSEG_L_RANK}, alpha ${CATSEG_L_ALPHA}; random weights, seed ${seed}), written as a SemLA loradb folder in ${loradb}`);
  await writeLoraDb(loradb, seed);

  const registry = await openRegistry(join(root, "registry"));
  try {
    const imported = await importLoraDb(registry, loradb, { tenant: "demo", libraryId: registry.library.id });
    const failed = imported.filter((i) => i.status === "failed");
    if (failed.length > 0) throw new Error(`import failed: ${failed.map((f) => `${f.domain}: ${f.error?.message}`).join("; ")}`);
    console.log(
      `Imported into the embedded registry (PGlite + pgvector, filesystem store): ${imported.filter((i) => i.status === "created").length} new, ${imported.filter((i) => i.status === "existing").length} already there`,
    );

    // A test image from a foggy scene, embedded (synthetically) near the fog domain's centroid.
    const query = generator.domainSpace(768, seed).sample(["fog"], 1);
    const names = new Map<string, string>();
    const plan = async (input: routing.RoutingOptionsInput) => {
      const options = routing.parseRoutingOptions(input);
      const neighbors = await registry.index.nearest(registry.library.id, query, { k: options.k, exclude: options.exclude });
      for (const n of neighbors) names.set(n.id, n.name);
      return routing.planFromNeighbors(neighbors, options);
    };
    printPlan("Plan for a foggy image (top-5 of the library, k-NN by pgvector):", await plan({ k: 5 }), names);
    const leaveOneOut = await plan({ k: 5, exclude: ["fog"] });
    printPlan("Leave-one-out, as in the paper (the fog adapter excluded):", leaveOneOut, names);

    const inputs = await Promise.all(
      leaveOneOut.adapters.map(async (a) => {
        const record = await registry.index.getAdapter("demo", a.id);
        if (!record) throw new Error(`adapter ${a.id} vanished`);
        return { adapter: await registry.adapters.load(record), weight: a.weight };
      }),
    );
    await fuseAndReport(root, leaveOneOut, inputs, names);
  } finally {
    await registry.index.close();
  }
}

async function fuseAndReport(root: string, plan: routing.FusionPlan, inputs: fusion.WeightedAdapter[], names: ReadonlyMap<string, string>): Promise<void> {
  const started = performance.now();
  const fused = await fusion.fuseAdaptersAsync(inputs, { combination: "cat" });
  const fuseMs = performance.now() - started;
  const files = peft.writePeftAdapter(fused, { semla_plan: JSON.stringify(plan.adapters.map(({ id, weight }) => ({ id, name: names.get(id), weight }))) });
  const fusedDir = join(root, "fused");
  await mkdir(fusedDir, { recursive: true });
  await writeFile(join(fusedDir, "adapter_config.json"), files.config);
  await writeFile(join(fusedDir, "adapter_model.safetensors"), files.weights);

  const probe = "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.q_proj";
  const probeModule = fused.modules.find((m) => m.name === probe) ? probe : fused.modules[0]!.name;
  console.log("\nFused adapter (cat):");
  console.log(
    table(
      ["field", "value"],
      [
        ["modules", String(fused.modules.length)],
        ["rank / lora_alpha", `${fused.config.r} / ${fused.config.lora_alpha} (scaling 1)`],
        ["parameters", fused.modules.reduce((n, m) => n + m.a.length + m.b.length, 0).toLocaleString("en-US")],
        ["adapter_model.safetensors", `${bytes(files.weights.byteLength)}, sha256 ${createHash("sha256").update(files.weights).digest("hex").slice(0, 16)}…`],
        ["fusion time", `${fuseMs.toFixed(1)} ms`],
        [`max |ΔW − Σ wᵢsᵢBᵢAᵢ| on ${probeModule.split(".").slice(-4).join(".")}`, exactnessError(fused, inputs, probeModule).toExponential(2)],
        ["written to", fusedDir],
      ],
    ),
  );
}
