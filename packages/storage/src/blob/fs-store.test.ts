import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobStoreContract } from "../testing/blob-store-contract.js";
import type { BlobStore } from "./blob-store.js";
import { InvalidBlobKeyError } from "./fs-key-path.js";
import { verifyPresignedPut } from "./fs-presign.js";
import { createFsBlobStore } from "./fs-store.js";

const SECRET = "a test secret of at least 16 bytes";
const roots: string[] = [];

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "semla-fs-store-"));
  roots.push(root);
  return root;
}

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

blobStoreContract("filesystem", async () => createFsBlobStore({ root: await freshRoot(), presign: { baseUrl: "http://127.0.0.1:8080", secret: SECRET } }));

describe("createFsBlobStore", () => {
  let root: string;
  let store: BlobStore;
  beforeAll(async () => {
    root = await freshRoot();
    store = createFsBlobStore({ root, presign: { baseUrl: "http://127.0.0.1:8080/", secret: SECRET } });
  });

  it("keeps key a/b/c in the file root/a/b/c", async () => {
    await store.put("map/b/c.bin", Uint8Array.of(1, 2, 3));
    expect(new Uint8Array(await readFile(path.join(root, "map", "b", "c.bin")))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it("leaves no temporary file behind after a put", async () => {
    await store.put("atomic/one.bin", Uint8Array.of(1));
    await store.put("atomic/one.bin", Uint8Array.of(2));
    expect(await readdir(path.join(root, "atomic"))).toEqual(["one.bin"]);
  });

  it("leaves no temporary file behind when a put fails, and the old state stands", async () => {
    await store.put("clash/dir/inner.bin", Uint8Array.of(1));
    // "clash/dir" is a directory, so it cannot also be an object here.
    await expect(store.put("clash/dir", Uint8Array.of(2))).rejects.toThrow();
    expect(await readdir(path.join(root, "clash"))).toEqual(["dir"]);
    expect(await store.get("clash/dir/inner.bin")).toEqual(Uint8Array.of(1));
  });

  it("treats a directory as no object", async () => {
    await store.put("dirs/a/b.bin", Uint8Array.of(1));
    expect(await store.head("dirs/a")).toBeUndefined();
    await expect(store.get("dirs/a")).rejects.toMatchObject({ name: "BlobNotFoundError" });
    await expect(store.get("dirs/a", { offset: 0, length: 1 })).rejects.toMatchObject({ name: "BlobNotFoundError" });
    await store.delete("dirs/a");
    expect(await store.get("dirs/a/b.bin")).toEqual(Uint8Array.of(1));
  });

  it("delete removes the directories it leaves empty, but not root or a parent still in use", async () => {
    await store.put("prune/keep.bin", Uint8Array.of(1));
    await store.put("prune/deep/er/x.bin", Uint8Array.of(1));
    await store.delete("prune/deep/er/x.bin");
    expect(await readdir(path.join(root, "prune"))).toEqual(["keep.bin"]);
    await store.delete("prune/keep.bin");
    expect(await readdir(root)).not.toContain("prune");
    expect((await readdir(root)).length).toBeGreaterThan(0);
  });

  it("does not list files no key could name", async () => {
    await store.put("stray/real.bin", Uint8Array.of(1));
    await writeFile(path.join(root, "stray", ".~leftover.tmp"), "x"); // as a crashed put would leave
    const keys: string[] = [];
    for await (const info of store.list("stray/")) keys.push(info.key);
    expect(keys).toEqual(["stray/real.bin"]);
  });

  const invalidKeys = ["", "/etc/passwd", "a/../b", "..", "../a", "a/..", "a..b", "a\\b", "a//b", "a/", "./a", "a/./b", "a b", "a?b", "a%2Fb", "ä"];

  it.each(invalidKeys)("refuses the key %j in every operation", async (key) => {
    await expect(store.put(key, Uint8Array.of(1))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.get(key, { offset: 0, length: 1 })).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.presignPut(key, { expiresInSeconds: 60 })).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it.each(["/", "/etc/", "../", "a/../", "a//", "a\\", "a b/"])("refuses the list prefix %j", async (prefix) => {
    const iterator = store.list(prefix)[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(InvalidBlobKeyError);
  });

  it("signs upload URLs for the embedded API that verifyPresignedPut accepts", async () => {
    const signed = await store.presignPut("up/load.bin", { expiresInSeconds: 60, contentLength: 3, contentType: "application/octet-stream" });
    expect(signed.url.startsWith("http://127.0.0.1:8080/v1/blobs/upload?")).toBe(true);
    const check = verifyPresignedPut({ url: signed.url, contentLength: 3, contentType: "application/octet-stream" }, SECRET);
    expect(check).toMatchObject({ ok: true, key: "up/load.bin", contentLength: 3 });
  });

  it("without a presign config, presignPut says presigned uploads need a base URL", async () => {
    const bare = createFsBlobStore({ root });
    await expect(bare.presignPut("up/load.bin", { expiresInSeconds: 60 })).rejects.toThrow(/presigned uploads need a base URL/);
  });
});
