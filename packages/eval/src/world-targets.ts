import { encodedSamples, type WorldSpec } from "@semla/world";
import type { EvalSample, EvalTarget } from "./runner.js";

/**
 * The world's targets with the paper's leave-one-out: every domain with an adapter is a target, its
 * own adapter is excluded from SemLA and uniform and is the oracle. Test scenes are generated from
 * the seed (the same pixels as the PNG files ensureWorldLibrary writes).
 */
export function worldTargets(spec: WorldSpec, seed: number, domains: readonly string[] = spec.domains): EvalTarget[] {
  return domains.map((domain) => ({
    domain,
    exclude: [domain],
    oracle: domain,
    samples: (async function* (): AsyncGenerator<EvalSample> {
      for (const s of await encodedSamples(spec, seed, domain, "test", spec.testImages)) {
        yield { name: `${domain}/${String(s.index).padStart(3, "0")}.png`, image: s.png, labels: s.labels };
      }
    })(),
  }));
}
