import type { CatSource } from "../types.js";
import { canonicalJson } from "./canonical-json.js";
import { sha256Hex } from "@semla/storage";

/**
 * The name of a `cat` fusion's result: sha256 of a canonical JSON of what determines it, the
 * sources in order with their weights' sha256, config and weight. The object keys are left out:
 * they say where a source is, not what it is (its sha256 does), so moving an object renames nothing.
 */
export function catManifestSha256(sources: readonly CatSource[]): string {
  const manifest = {
    version: 1,
    combination: "cat",
    sources: sources.map((s) => ({ sha256: s.sha256, config: s.config, weight: s.weight })),
  };
  return sha256Hex(canonicalJson(manifest));
}
