import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CATSEG_L_ALPHA,
  CATSEG_L_MODULES,
  CATSEG_L_RANK,
  denseDelta,
  domainSpace,
  fusion,
  peft,
  randomAdapter,
  routing,
  type LoraAdapter,
} from "@semla/core";
import { openFileSource } from "./file-source.js";
import { bar, bytes, table } from "./format.js";

/** Domains of the demo library: combinations of visual shifts, as in the SemLA paper's benchmark. */
const DOMAINS: ReadonlyArray<readonly string[]> = [[], ["fog"], ["night"], ["rain"], ["snow"], ["fog", "night"], ["rain", "night"], ["overexposure"]];
const domainId = (shifts: readonly string[]) => shifts.join("+") || "clear";
const BASE_MODEL = "semla/catseg-l-demo";

async function writeLibrary(root: string, seed: number): Promise<Map<string, Float32Array>> {
  const space = domainSpace(768, seed);
  const centroids = new Map<string, Float32Array>();
  for (const [i, shifts] of DOMAINS.entries()) {
    const id = domainId(shifts);
    const adapter = randomAdapter({ modules: CATSEG_L_MODULES, rank: CATSEG_L_RANK, alpha: CATSEG_L_ALPHA, seed: seed * 100 + i, baseModel: BASE_MODEL });
    const files = peft.writePeftAdapter(adapter);
    const folder = join(root, id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "adapter_config.json"), files.config);
    await writeFile(join(folder, "adapter_model.safetensors"), files.weights);
    centroids.set(id, space.centroid(shifts));
  }
  return centroids;
}

async function loadAdapter(folder: string): Promise<LoraAdapter> {
  const weights = await openFileSource(join(folder, "adapter_model.safetensors"));
  try {
    return await peft.readLoraAdapter({ config: await readFile(join(folder, "adapter_config.json")), weights });
  } finally {
    await weights.close();
  }
}

function printPlan(title: string, plan: routing.FusionPlan): void {
  console.log(`\n${title}`);
  console.log(
    table(
      ["#", "adapter", "distance", "similarity", "weight", ""],
      plan.adapters.map((a) => [String(a.rank), a.id, a.distance?.toFixed(4) ?? "-", a.similarity?.toFixed(3) ?? "∞", a.weight.toFixed(4), bar(a.weight)]),
    ),
  );
  console.log(`metric ${plan.metric}, similarity ${plan.similarity}, temperature ${plan.temperature}, k ${plan.k}${plan.exclude.length ? `, excluded ${plan.exclude.join(", ")}` : ""}`);
}

/** Largest |ΔW_fused − Σ wᵢ·sᵢ·BᵢAᵢ| on one module: the exactness of `cat`, checked by dense math. */
function exactnessError(fused: LoraAdapter, inputs: readonly fusion.WeightedAdapter[], moduleName: string): number {
  const got = denseDelta(fused.modules.find((m) => m.name === moduleName)!);
  const want = new Float64Array(got.length);
  for (const { adapter, weight } of inputs) {
    denseDelta(adapter.modules.find((m) => m.name === moduleName)!).forEach((x, i) => (want[i]! += weight * x));
  }
  return got.reduce((max, x, i) => Math.max(max, Math.abs(x - want[i]!)), 0);
}

export async function runDemo({ root, seed }: { root: string; seed: number }): Promise<void> {
  const libraryRoot = join(root, "library");
  console.log(`SemLA Serve demo: routing and fusion over a generated library of ${DOMAINS.length} CAT-Seg-L-shaped LoRA adapters`);
  console.log(`(${CATSEG_L_MODULES.length} modules, rank ${CATSEG_L_RANK}, alpha ${CATSEG_L_ALPHA}; random weights, seed ${seed}) in ${libraryRoot}`);
  const centroids = await writeLibrary(libraryRoot, seed);
  const candidates = [...centroids].map(([id, centroid]) => ({ id, centroid }));

  // A test image from a foggy scene, embedded (synthetically) near the fog domain's centroid.
  const query = domainSpace(768, seed).sample(["fog"], 1);
  printPlan("Plan for a foggy image (top-5 of the library):", routing.route(query, candidates, { k: 5 }));
  const plan = routing.route(query, candidates, { k: 5, exclude: ["fog"] });
  printPlan("Leave-one-out, as in the paper (the fog adapter excluded):", plan);

  const inputs = await Promise.all(plan.adapters.map(async (a) => ({ adapter: await loadAdapter(join(libraryRoot, a.id)), weight: a.weight })));
  const started = performance.now();
  const fused = await fusion.fuseAdaptersAsync(inputs, { combination: "cat" });
  const fuseMs = performance.now() - started;
  const files = peft.writePeftAdapter(fused, { semla_plan: JSON.stringify(plan.adapters.map(({ id, weight }) => ({ id, weight }))) });
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
