/**
 * Object keys are built here from service-generated ids and content hashes only, so no user-supplied
 * text (names, file names, paths) ever becomes part of a key.
 */
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`invalid ${what} for an object key: ${JSON.stringify(value)}`);
  return value;
}

export const ADAPTERS_PREFIX = "adapters/";

export function adapterObjectKey(input: { libraryId: string; adapterId: string; version: number; sha256: string }): string {
  if (!Number.isSafeInteger(input.version) || input.version < 1) throw new Error(`invalid version ${input.version}`);
  return `${ADAPTERS_PREFIX}${check(input.libraryId, ID, "library id")}/${check(input.adapterId, ID, "adapter id")}/v${input.version}/${check(input.sha256, SHA256, "sha256")}.safetensors`;
}

export function libraryPrefix(libraryId: string): string {
  return `${ADAPTERS_PREFIX}${check(libraryId, ID, "library id")}/`;
}

/** Fused adapters (other than `cat`, which travels as a manifest) are content-addressed: keyed by their sha256 alone. */
export const FUSED_PREFIX = "fused/";

export function fusedObjectKey(sha256: string): string {
  return `${FUSED_PREFIX}${check(sha256, SHA256, "sha256")}.safetensors`;
}
