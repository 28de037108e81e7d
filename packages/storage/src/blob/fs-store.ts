import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { type BlobInfo, BlobNotFoundError, type BlobStore, type ByteRange } from "./blob-store.js";
import { BlobRangeError, checkRange } from "./byte-range.js";
import { checkPrefix, isKeySegment, keyPath } from "./fs-key-path.js";
import { type FsPresignConfig, PRESIGNED_UPLOAD_PATH, presignFsPut } from "./fs-presign.js";
import { type BlobOutageClassifier, guardBlobOutages } from "./outage.js";

/**
 * The embedded default: one file per key under root ("a/b/c" is root/a/b/c). Unlike S3, a key
 * cannot also be a "directory" of other keys ("a/b" and "a/b/c"); service-built keys never are.
 */
export interface FsBlobStoreOptions {
  readonly root: string;
  /** Without it presignPut throws: the URLs point at the embedded API, which needs a base URL. */
  readonly presign?: FsPresignConfig;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/**
 * Filesystem outages: the disk failing or full, the quota spent, out of file handles, a stale or
 * busy network mount, a filesystem remounted read-only after errors. Permissions (EACCES, EPERM)
 * are a configuration error, not an outage.
 */
const OUTAGE_ERRNOS = new Set(["EIO", "ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "EAGAIN", "EBUSY", "EROFS", "ESTALE", "ETIMEDOUT", "ENOMEM"]);

export const fsOutage: BlobOutageClassifier = (error) => {
  const code = errorCode(error);
  return code !== undefined && OUTAGE_ERRNOS.has(code) ? code : undefined;
};

/** A missing file, or a path through a file or onto a directory: no object under that key. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

async function readRange(file: string, key: string, range: ByteRange): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new BlobNotFoundError(key);
    if (range.offset + range.length > info.size) throw new BlobRangeError(key, range, info.size);
    const bytes = new Uint8Array(range.length);
    let filled = 0;
    // read() may return fewer bytes than asked for; loop until the range is whole.
    while (filled < range.length) {
      const { bytesRead } = await handle.read(bytes, filled, range.length - filled, range.offset + filled);
      if (bytesRead === 0) throw new BlobRangeError(key, range, info.size); // truncated underneath us
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Writes a temp file beside the target, fsyncs it, renames it over the target, fsyncs the directory. */
async function writeAtomically(file: string, body: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  // "~" never occurs in keys, so a temp file can neither clash with an object nor be listed as one.
  const temp = path.join(dir, `.~${randomBytes(8).toString("hex")}.tmp`);
  for (let attempt = 1; ; attempt++) {
    await mkdir(dir, { recursive: true });
    try {
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      // A concurrent delete may remove the directory between mkdir and open: make it again.
      if (errorCode(error) !== "ENOENT" || attempt === 3) throw error;
    }
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dir, "r");
  try {
    await dirHandle.sync(); // makes the rename itself durable
  } finally {
    await dirHandle.close();
  }
}

/** Removes directories left empty by a delete, up to (not including) root. */
async function pruneEmptyParents(root: string, file: string): Promise<void> {
  for (let dir = path.dirname(file); dir !== root && dir.startsWith(root + path.sep); dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or already gone, or in use by a concurrent put): stop here
    }
  }
}

/** Every object at or below dir whose key starts with prefix. */
async function collect(root: string, dir: string, prefix: string, into: BlobInfo[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (!isKeySegment(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const key = path.relative(root, full).split(path.sep).join("/");
    if (entry.isDirectory()) {
      // Descend only where keys can still match: "a/b" reaches into "a/bc/", "a/b/" does not.
      if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await collect(root, full, prefix, into);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      try {
        const info = await stat(full);
        into.push({ key, size: info.size, lastModified: info.mtime });
      } catch (error) {
        if (!isMissing(error)) throw error; // deleted while listing: no longer there
      }
    }
  }
}

export function createFsBlobStore(options: FsBlobStoreOptions): BlobStore {
  return guardBlobOutages(createFsDriver(options), fsOutage);
}

function createFsDriver(options: FsBlobStoreOptions): BlobStore {
  const root = path.resolve(options.root);
  const presign = options.presign;

  return {
    kind: "fs",

    async get(key, range) {
      const file = keyPath(root, key);
      try {
        if (range === undefined) {
          const buffer = await readFile(file);
          return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength); // a plain view, not a Buffer
        }
        checkRange(key, range);
        return await readRange(file, key, range);
      } catch (error) {
        if (isMissing(error)) throw new BlobNotFoundError(key);
        throw error;
      }
    },

    // The content type is not kept: the filesystem store serves bytes, not HTTP responses.
    async put(key, body) {
      await writeAtomically(keyPath(root, key), body);
    },

    async head(key) {
      const file = keyPath(root, key);
      try {
        const info = await stat(file);
        return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      const file = keyPath(root, key);
      try {
        await unlink(file);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      await pruneEmptyParents(root, file);
    },

    async *list(prefix) {
      checkPrefix(prefix);
      const found: BlobInfo[] = [];
      // Walk only the directory the prefix names; its last segment may be partial.
      const dir = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
      await collect(root, path.join(root, ...dir.split("/")), prefix, found);
      // S3 lists in key order; so does this store (keys are ASCII, so code-unit order is byte order).
      found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* found;
    },

    async presignPut(key, presignOptions) {
      if (presign === undefined) {
        throw new Error(`presigned uploads need a base URL: the filesystem store signs URLs for the embedded API's ${PRESIGNED_UPLOAD_PATH}, so create the store with presign: { baseUrl, secret }`);
      }
      return presignFsPut(presign, key, presignOptions);
    },
  };
}
