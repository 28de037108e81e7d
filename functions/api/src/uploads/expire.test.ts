import { mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFsBlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireUploads, UPLOAD_MAX_AGE_MS } from "./expire.js";

describe("expireUploads (the filesystem store's stand-in for S3's lifecycle rule)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-expire-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("removes uploads older than a day and leaves recent ones and other prefixes alone", async () => {
    const store = createFsBlobStore({ root });
    const bytes = new Uint8Array([1]);
    for (const key of ["uploads/a/file", "uploads/a/upload.json", "uploads/b/file", "adapters/old.safetensors"]) await store.put(key, bytes);
    const old = new Date(Date.now() - UPLOAD_MAX_AGE_MS - 60_000);
    for (const key of ["uploads/a/file", "uploads/a/upload.json", "adapters/old.safetensors"]) await utimes(path.join(root, key), old, old);
    expect((await expireUploads(store)).sort()).toEqual(["uploads/a/file", "uploads/a/upload.json"]);
    expect(await store.head("uploads/b/file")).toBeDefined();
    expect(await store.head("adapters/old.safetensors")).toBeDefined();
  });
});
