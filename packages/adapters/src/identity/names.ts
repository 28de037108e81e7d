import { sha256Hex } from "@semla/storage";
import type { AdapterSource, Mixture } from "../types.js";
import { canonicalJson } from "./canonical-json.js";

/**
 * The name of a mixture's result: sha256 of a canonical JSON of what determines it, the fusion
 * options and the sources in order with their weights' sha256, config and weight. The object keys
 * are left out: they say where a source is, not what it is (its sha256 does), so moving an object
 * renames nothing. The one cache keys fused adapters by it, whichever path fused them.
 */
export function mixtureSha256(mixture: Mixture): string {
  const manifest = {
    version: 1,
    ...mixture.options,
    sources: mixture.sources.map((s) => ({ sha256: s.sha256, config: s.config, weight: s.weight })),
  };
  return sha256Hex(canonicalJson(manifest));
}

/** The name of a `cat` fusion (a cat manifest's sha256): the mixture's name, so both paths share a cache entry. */
export function catManifestSha256(sources: readonly AdapterSource[]): string {
  return mixtureSha256({ sources, options: { combination: "cat" } });
}
