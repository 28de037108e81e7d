import { createHash } from "node:crypto";

/**
 * The hex sha256 that names content everywhere (adapter weights, fused objects, cat manifests):
 * one function, so every side computes the same name for the same bytes.
 */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
