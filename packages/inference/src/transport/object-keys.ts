/** Fused adapters in the object store are content-addressed: the key is built from the sha256 alone. */
export const FUSED_PREFIX = "fused/";

const SHA256 = /^[0-9a-f]{64}$/;

export function fusedObjectKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`invalid sha256 for an object key: ${JSON.stringify(sha256)}`);
  return `${FUSED_PREFIX}${sha256}.safetensors`;
}
