import path from "node:path";

/**
 * Object keys as filesystem paths. Keys are service-built (object-keys.ts), so these checks are
 * defence in depth: nothing a key can say reaches outside the store's root.
 */
const KEY_CHARACTERS = /^[A-Za-z0-9._/-]*$/;

export class InvalidBlobKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidBlobKeyError";
  }
}

/** Why `text` (a key, or a list prefix when `partialLast`) is unsafe as a path, or undefined. */
function problem(text: string, partialLast: boolean): string | undefined {
  if (!KEY_CHARACTERS.test(text)) return "only A-Z a-z 0-9 . _ / - are allowed";
  if (text.includes("..")) return "'..' is not allowed";
  if (text.startsWith("/")) return "absolute keys are not allowed";
  const segments = text.split("/");
  // A prefix may end mid-segment ("a/b" lists "a/bc" too) or with "/"; a key may do neither.
  const whole = partialLast ? segments.slice(0, -1) : segments;
  if (whole.some((segment) => segment === "")) return "empty path segments are not allowed";
  if (whole.some((segment) => segment === ".")) return "'.' segments are not allowed";
  return undefined;
}

export function checkKey(key: string): void {
  const reason = key === "" ? "the key is empty" : problem(key, false);
  if (reason !== undefined) throw new InvalidBlobKeyError(key, reason);
}

export function checkPrefix(prefix: string): void {
  const reason = problem(prefix, true);
  if (reason !== undefined) throw new InvalidBlobKeyError(prefix, reason);
}

/** True for a directory entry name some key could produce (temporary files use other characters). */
export function isKeySegment(name: string): boolean {
  return name !== "" && name !== "." && !name.includes("..") && /^[A-Za-z0-9._-]+$/.test(name);
}

/** The file holding `key`; checks the key, and that the result stays under root. */
export function keyPath(root: string, key: string): string {
  checkKey(key);
  const file = path.resolve(root, ...key.split("/"));
  if (!file.startsWith(root + path.sep)) throw new InvalidBlobKeyError(key, "it leaves the store's root");
  return file;
}
