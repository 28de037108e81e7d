import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isSemlaError, type SemlaError } from "@semla/core";
import { afterEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, type BlobStore } from "./blob-store.js";
import { fsOutage } from "./fs-store.js";
import { createS3BlobStore } from "./s3-store.js";

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

async function semlaFailure(promise: Promise<unknown>): Promise<SemlaError> {
  const error = await failure(promise);
  if (!isSemlaError(error)) throw error;
  return error;
}

/** An S3 endpoint answering every request with one status and error code (S3's XML error body). */
async function s3Answering(status: number, code: string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(status, { "content-type": "application/xml" });
      response.end(request.method === "HEAD" ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function s3Store(endpoint: string): BlobStore {
  return createS3BlobStore({ bucket: "semla-test", endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" }, requestTimeoutMs: 2000 });
}

describe("object store outages answer store.unavailable (kind unavailable); a misconfiguration does not", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  const serve = async (status: number, code: string) => {
    const server = await s3Answering(status, code);
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it("S3 not there (connection refused): every operation", async () => {
    const endpoint = await serve(200, "none");
    servers.pop()!.close();
    const store = s3Store(endpoint);
    const body = new Uint8Array([1, 2, 3]);
    for (const attempt of [
      () => store.get("adapters/a"),
      () => store.put("adapters/a", body),
      () => store.head("adapters/a"),
      () => store.delete("adapters/a"),
      () => store.list("adapters/")[Symbol.asyncIterator]().next(),
    ]) {
      expect(await semlaFailure(attempt())).toMatchObject({ code: "store.unavailable", kind: "unavailable", details: { rule: "unavailable", store: "s3", reason: "ECONNREFUSED" } });
    }
  });

  it.each([
    [503, "SlowDown", "SlowDown"],
    [500, "InternalError", "http-500"],
    [503, "ServiceUnavailable", "ServiceUnavailable"],
  ])("S3 answering %i %s (after the SDK's retries)", async (status, code, reason) => {
    const store = s3Store(await serve(status, code));
    expect(await semlaFailure(store.get("adapters/a"))).toMatchObject({ code: "store.unavailable", details: { reason } });
  });

  it("S3 refusing access (403) or missing the bucket is a configuration error, not an outage; a missing key is still BlobNotFoundError", async () => {
    const denied = s3Store(await serve(403, "AccessDenied"));
    const error = await failure(denied.get("adapters/a"));
    expect(isSemlaError(error)).toBe(false);
    expect((error as Error).name).toBe("AccessDenied");
    const noBucket = s3Store(await serve(404, "NoSuchBucket"));
    expect(((await failure(noBucket.get("adapters/a"))) as Error).name).toBe("NoSuchBucket");
    const noKey = s3Store(await serve(404, "NoSuchKey"));
    expect(await failure(noKey.get("adapters/a"))).toBeInstanceOf(BlobNotFoundError);
  });

  describe("filesystem", () => {
    it("a disk that fails or is full (EIO, ENOSPC, EDQUOT, EROFS, EMFILE) is an outage; permissions and missing files are not", () => {
      const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
      for (const code of ["EIO", "ENOSPC", "EDQUOT", "EROFS", "EMFILE"]) expect(fsOutage(errno(code)), code).toBe(code);
      for (const code of ["EACCES", "EPERM", "ENOENT", "EINVAL"]) expect(fsOutage(errno(code)), code).toBeUndefined();
    });

    it("reads the kernel's own ENOSPC (a write to /dev/full) as an outage", async () => {
      const error = await failure(writeFile("/dev/full", "x"));
      expect(fsOutage(error)).toBe("ENOSPC");
    });
  });
});
