import { createHash, randomBytes, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type BlobInfo, BlobNotFoundError, type BlobStore, blobSource } from "../blob/blob-store.js";
import { BlobRangeError } from "../blob/byte-range.js";

/**
 * What every BlobStore promises, run against each implementation by its own test file. Each test
 * works under a fresh prefix, so stores can share a bucket or directory with other tests.
 * Implementations that upload in parts should be configured with 5 MiB parts so the 20 MiB test
 * crosses part boundaries.
 */
export function blobStoreContract(name: string, makeStore: () => BlobStore | Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    beforeAll(async () => {
      store = await makeStore();
    });

    const freshPrefix = (): string => `contract/${randomUUID()}/`;
    const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + 3) % 251);
    const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
    const listed = async (prefix: string): Promise<BlobInfo[]> => {
      const out: BlobInfo[] = [];
      for await (const info of store.list(prefix)) out.push(info);
      return out;
    };

    it("get returns exactly the bytes put stored", async () => {
      const key = `${freshPrefix()}object.bin`;
      const body = pattern(1000);
      await store.put(key, body, { contentType: "application/octet-stream" });
      expect(await store.get(key)).toEqual(body);
    });

    it("stores an empty object", async () => {
      const key = `${freshPrefix()}empty`;
      await store.put(key, new Uint8Array(0));
      expect(await store.get(key)).toEqual(new Uint8Array(0));
      expect((await store.head(key))?.size).toBe(0);
    });

    it("put replaces an existing object whole", async () => {
      const key = `${freshPrefix()}object.bin`;
      await store.put(key, pattern(500));
      await store.put(key, Uint8Array.of(1, 2, 3));
      expect(await store.get(key)).toEqual(Uint8Array.of(1, 2, 3));
    });

    it("a byte range returns exactly that slice: first byte, middle, last byte, everything", async () => {
      const key = `${freshPrefix()}object.bin`;
      const body = pattern(1000);
      await store.put(key, body);
      expect(await store.get(key, { offset: 0, length: 1 })).toEqual(body.slice(0, 1));
      expect(await store.get(key, { offset: 123, length: 456 })).toEqual(body.slice(123, 579));
      expect(await store.get(key, { offset: 999, length: 1 })).toEqual(body.slice(999));
      expect(await store.get(key, { offset: 0, length: 1000 })).toEqual(body);
    });

    it("a zero-length range up to the end is empty", async () => {
      const key = `${freshPrefix()}object.bin`;
      await store.put(key, pattern(10));
      expect(await store.get(key, { offset: 4, length: 0 })).toEqual(new Uint8Array(0));
      expect(await store.get(key, { offset: 10, length: 0 })).toEqual(new Uint8Array(0));
    });

    it("a range reaching past the end is a BlobRangeError, not a short read", async () => {
      const key = `${freshPrefix()}object.bin`;
      await store.put(key, pattern(10));
      await expect(store.get(key, { offset: 9, length: 2 })).rejects.toBeInstanceOf(BlobRangeError);
      await expect(store.get(key, { offset: 10, length: 1 })).rejects.toBeInstanceOf(BlobRangeError);
      await expect(store.get(key, { offset: 11, length: 0 })).rejects.toBeInstanceOf(BlobRangeError);
    });

    it("a malformed range is a BlobRangeError", async () => {
      const key = `${freshPrefix()}object.bin`;
      await store.put(key, pattern(10));
      await expect(store.get(key, { offset: -1, length: 2 })).rejects.toBeInstanceOf(BlobRangeError);
      await expect(store.get(key, { offset: 0, length: -1 })).rejects.toBeInstanceOf(BlobRangeError);
      await expect(store.get(key, { offset: 0.5, length: 2 })).rejects.toBeInstanceOf(BlobRangeError);
    });

    it("head gives the size and modification time, and undefined for a missing key", async () => {
      const prefix = freshPrefix();
      const before = Date.now();
      await store.put(`${prefix}object.bin`, pattern(321));
      const info = await store.head(`${prefix}object.bin`);
      expect(info?.key).toBe(`${prefix}object.bin`);
      expect(info?.size).toBe(321);
      expect(info?.lastModified).toBeInstanceOf(Date);
      // Stores may keep whole seconds only.
      expect(info?.lastModified.getTime()).toBeGreaterThan(before - 2000);
      expect(await store.head(`${prefix}missing.bin`)).toBeUndefined();
    });

    it("get of a missing key is a BlobNotFoundError naming the key, with or without a range", async () => {
      const key = `${freshPrefix()}missing.bin`;
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key)).rejects.toMatchObject({ key });
      await expect(store.get(key, { offset: 0, length: 4 })).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key, { offset: 0, length: 0 })).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it("delete removes the object and is idempotent", async () => {
      const key = `${freshPrefix()}object.bin`;
      await store.put(key, pattern(10));
      await store.delete(key);
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head(key)).toBeUndefined();
      await store.delete(key);
      await store.delete(`${freshPrefix()}never-existed.bin`);
    });

    it("delete leaves the object's neighbours alone", async () => {
      const prefix = freshPrefix();
      await store.put(`${prefix}a/one`, pattern(1));
      await store.put(`${prefix}a/two`, pattern(2));
      await store.delete(`${prefix}a/one`);
      expect(await store.get(`${prefix}a/two`)).toEqual(pattern(2));
    });

    it("list returns exactly the keys under a prefix, in key order, with their sizes", async () => {
      const prefix = freshPrefix();
      const keys = ["a/b/1", "a/b/2", "a/b/c/3", "a/bc/4", "a/x", "b/5"];
      await Promise.all(keys.map((key, i) => store.put(`${prefix}${key}`, pattern(i + 1))));

      const under = await listed(`${prefix}a/b/`);
      expect(under.map((info) => info.key)).toEqual([`${prefix}a/b/1`, `${prefix}a/b/2`, `${prefix}a/b/c/3`]);
      expect(under.map((info) => info.size)).toEqual([1, 2, 3]);
      expect(under.every((info) => info.lastModified instanceof Date)).toBe(true);

      // A prefix is a string prefix, as in S3: "a/b" also covers the sibling "a/bc/".
      expect((await listed(`${prefix}a/b`)).map((info) => info.key)).toEqual([`${prefix}a/b/1`, `${prefix}a/b/2`, `${prefix}a/b/c/3`, `${prefix}a/bc/4`]);
      expect((await listed(prefix)).map((info) => info.key)).toEqual(keys.map((key) => `${prefix}${key}`));
      expect(await listed(`${prefix}none/`)).toEqual([]);
    });

    it("list orders by whole key, not directory by directory", async () => {
      const prefix = freshPrefix();
      // Key order puts "-" and "." before "/", so "a/b" comes after "a-c" and "a.txt".
      for (const key of ["a/b", "a.txt", "a-c"]) await store.put(`${prefix}${key}`, pattern(1));
      expect((await listed(prefix)).map((info) => info.key)).toEqual([`${prefix}a-c`, `${prefix}a.txt`, `${prefix}a/b`]);
    });

    it("list no longer shows a deleted key", async () => {
      const prefix = freshPrefix();
      await store.put(`${prefix}keep`, pattern(1));
      await store.put(`${prefix}drop`, pattern(1));
      await store.delete(`${prefix}drop`);
      expect((await listed(prefix)).map((info) => info.key)).toEqual([`${prefix}keep`]);
    });

    it("a 20 MiB body round-trips intact, and ranges across 5 MiB boundaries read right", async () => {
      const key = `${freshPrefix()}large.bin`;
      const body = new Uint8Array(randomBytes(20 * 1024 * 1024));
      await store.put(key, body);
      expect((await store.head(key))?.size).toBe(body.byteLength);
      const back = await store.get(key);
      expect(back.byteLength).toBe(body.byteLength);
      expect(sha256(back)).toBe(sha256(body));
      const boundary = 5 * 1024 * 1024;
      expect(await store.get(key, { offset: boundary - 3, length: 6 })).toEqual(body.slice(boundary - 3, boundary + 3));
      // Compared by hash: a deep equality over 5 MiB arrays takes vitest many seconds.
      expect(sha256(await store.get(key, { offset: 3 * boundary, length: boundary }))).toBe(sha256(body.slice(3 * boundary)));
    });

    it("blobSource reads a stored object by range", async () => {
      const key = `${freshPrefix()}object.bin`;
      const body = pattern(100);
      await store.put(key, body);
      const source = blobSource(store, key, body.byteLength);
      expect(source.size).toBe(100);
      expect(await source.read(10, 5)).toEqual(body.slice(10, 15));
      expect(await source.read(100, 0)).toEqual(new Uint8Array(0));
    });

    it("presignPut returns a PUT URL, the headers the client must send, and when it expires", async () => {
      const key = `${freshPrefix()}upload.bin`;
      const before = Date.now();
      const signed = await store.presignPut(key, { expiresInSeconds: 300, contentType: "application/octet-stream", contentLength: 42 });
      expect(signed.method).toBe("PUT");
      expect(() => new URL(signed.url)).not.toThrow();
      expect(signed.headers).toEqual({ "content-type": "application/octet-stream", "content-length": "42" });
      // Signing times have whole seconds.
      expect(signed.expiresAt.getTime()).toBeGreaterThanOrEqual(before - 1000 + 300_000);
      expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
      const bare = await store.presignPut(key, { expiresInSeconds: 60 });
      expect(bare.headers).toEqual({});
    });
  });
}
