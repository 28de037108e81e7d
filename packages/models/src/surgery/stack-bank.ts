import type { LoraAdapter } from "@semla/core";
import { PrepareError } from "./prepare.js";

/**
 * A library's adapters as one bank per module, what a bank-mode segmenter bakes in: for each module
 * any adapter has, A stacked [n, r, in] and scaling·Bᵀ stacked [n, r, out], r the largest rank
 * among them, a smaller rank (or a module an adapter lacks) zero-padded. Adapter i of the list is
 * index i of a plan. Zero padding adds nothing to Σ wᵢ·(x·Aᵢᵀ)·(sᵢBᵢ)ᵀ, so a plan's update is
 * exactly the cat-fused adapter's, B′A′ = Σ wᵢ·sᵢ·BᵢAᵢ.
 */

export interface BankModule {
  readonly name: string;
  readonly rank: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [n, rank, in]. */
  readonly a: Float32Array;
  /** [n, rank, out]: sᵢ·Bᵢᵀ. */
  readonly bT: Float32Array;
}

export interface LoraBank {
  /** How many adapters (n). */
  readonly size: number;
  /** Sorted by name. */
  readonly modules: readonly BankModule[];
}

export function stackLoraBank(adapters: readonly LoraAdapter[]): LoraBank {
  if (adapters.length === 0) throw new PrepareError("no-targets", "a bank needs at least one adapter");
  const shapes = new Map<string, { rank: number; inFeatures: number; outFeatures: number }>();
  for (const adapter of adapters) {
    for (const m of adapter.modules) {
      const seen = shapes.get(m.name);
      if (seen && (seen.inFeatures !== m.inFeatures || seen.outFeatures !== m.outFeatures)) {
        throw new PrepareError("shape-mismatch", `${m.name} is [${m.outFeatures}, ${m.inFeatures}] ([out, in]) in one adapter and [${seen.outFeatures}, ${seen.inFeatures}] in another`, {
          module: m.name,
        });
      }
      shapes.set(m.name, { inFeatures: m.inFeatures, outFeatures: m.outFeatures, rank: Math.max(seen?.rank ?? 0, m.rank) });
    }
  }
  const n = adapters.length;
  const modules: BankModule[] = [];
  for (const [name, { rank, inFeatures, outFeatures }] of [...shapes].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (rank === 0) continue;
    const a = new Float32Array(n * rank * inFeatures);
    const bT = new Float32Array(n * rank * outFeatures);
    adapters.forEach((adapter, i) => {
      const m = adapter.modules.find((x) => x.name === name);
      if (!m) return;
      a.set(m.a, i * rank * inFeatures);
      const base = i * rank * outFeatures;
      for (let o = 0; o < outFeatures; o++) {
        for (let k = 0; k < m.rank; k++) bT[base + k * outFeatures + o] = (m.b[o * m.rank + k] as number) * m.scaling;
      }
    });
    modules.push({ name, rank, inFeatures, outFeatures, a, bT });
  }
  return { size: n, modules };
}

/** Bytes the bank's tensors hold (what a bank session adds to the model's weights). */
export function bankBytes(bank: LoraBank): number {
  return bank.modules.reduce((sum, m) => sum + m.a.byteLength + m.bT.byteLength, 0);
}
