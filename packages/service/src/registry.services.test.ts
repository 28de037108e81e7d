import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPgAdapterIndex, type LibraryRecord } from "@semla/registry";
import { createScratchDatabase, newLibrary, startDataApiServer } from "@semla/registry/testing";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { parseConfig } from "./config.js";
import { openRegistry } from "./registry.js";

describe("openRegistry with SEMLA_DATA_API_* opens the registry on Aurora through the Data API", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("migrates the database through the Data API, then stores and finds a library there (the filesystem store beside it)", async () => {
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    const server = await startDataApiServer({ postgresUrl: inject("postgresUrl") });
    const dataDir = await mkdtemp(path.join(tmpdir(), "semla-data-api-"));
    // The SDK's default credential chain reads these; the loopback Data API does not check the signature.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDLOOPBACK");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "loopback");
    try {
      const config = parseConfig({
        SEMLA_DATA_API_RESOURCE_ARN: server.resourceArn,
        SEMLA_DATA_API_SECRET_ARN: server.secretArn,
        SEMLA_DATA_API_DATABASE: scratch.name,
        SEMLA_DATA_API_URL: server.url,
        SEMLA_DATA_DIR: dataDir,
      });
      const registry = await openRegistry(config);
      let library: LibraryRecord;
      try {
        library = await registry.index.createLibrary(newLibrary());
        expect(await registry.index.getLibrary(library.tenant, library.id)).toEqual(library);
      } finally {
        await registry.index.close();
      }
      // The same row, read over a PostgreSQL connection: the Data API wrote to that database.
      const direct = await createPgAdapterIndex({ connectionString: scratch.url, migrate: false });
      try {
        expect(await direct.listLibraries(library.tenant)).toEqual([library]);
      } finally {
        await direct.close();
      }
    } finally {
      await server.close();
      await scratch.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
