import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newLibrary, rejection } from "../testing/fixtures.js";
import { createScratchDatabase, type ScratchDatabase } from "../testing/scratch-database.js";
import { createApiKeyStore } from "./api-keys.js";
import { createContributionStore } from "./contributions.js";
import type { DrizzleAdapterIndex } from "./drizzle-index.js";
import { pgOutage } from "./outage.js";
import { createPgAdapterIndex } from "./pg-index.js";
import { createPgliteAdapterIndex, openPglite } from "./pglite-index.js";

/** A loopback port nothing listens on: a stopped server. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("database outages answer registry.unavailable (kind unavailable), never a raw driver error", () => {
  describe("PostgreSQL", () => {
    let scratch: ScratchDatabase;
    let index: DrizzleAdapterIndex;
    beforeAll(async () => {
      scratch = await createScratchDatabase(inject("postgresUrl"));
      index = await createPgAdapterIndex({ connectionString: scratch.url, maxConnections: 1 });
    });
    afterAll(async () => {
      await index?.close();
      await scratch?.drop();
    });

    it("a server that is not there: the API-key lookup, the index and the contribution store all say so", async () => {
      const down = await createPgAdapterIndex({ connectionString: `postgres://semla@127.0.0.1:${await closedPort()}/semla`, migrate: false, connectionTimeoutMs: 2000 });
      try {
        for (const attempt of [
          () => createApiKeyStore(down.db).authenticate("semla_whatever"),
          () => down.listLibraries("tenant"),
          () => down.createLibrary(newLibrary()),
          () => createContributionStore(down.db).record("00000000-0000-4000-8000-000000000000", "req", [{ adapterId: "00000000-0000-4000-8000-000000000001", rank: 1, weight: 1, distance: 0 }]),
        ]) {
          const error = await rejection(attempt());
          expect(error).toMatchObject({ code: "registry.unavailable", kind: "unavailable", details: { rule: "unavailable", reason: "ECONNREFUSED" } });
        }
      } finally {
        await down.close();
      }
    });

    it("a connection the server terminates mid-query (57P01, as on a restart) reads as an outage, and the next query is served on a new one", async () => {
      const running: Promise<unknown> = index.db.execute(sql`SELECT pg_sleep(10)`).then(
        () => undefined,
        (e: unknown) => e,
      );
      const admin = new pg.Client({ connectionString: scratch.url });
      await admin.connect();
      try {
        for (let terminated = 0; terminated === 0; ) {
          const result = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()");
          terminated = result.rowCount ?? 0;
        }
      } finally {
        await admin.end();
      }
      expect(pgOutage(await running)).toBe("57P01");
      expect(await index.listLibraries("tenant")).toEqual([]);
    });

    it("a statement over the statement timeout is cancelled by the server (57014), which reads as an outage, not a hang", async () => {
      const slow = await createPgAdapterIndex({ connectionString: scratch.url, migrate: false, statementTimeoutMs: 100 });
      try {
        const error: unknown = await slow.db.execute(sql`SELECT pg_sleep(5)`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(pgOutage(error)).toBe("57014");
      } finally {
        await slow.close();
      }
    });

    it("a caller's mistake stays what it is: a duplicate library is 409 registry.library-exists, not unavailable", async () => {
      const input = newLibrary();
      await index.createLibrary(input);
      expect(await rejection(index.createLibrary(input))).toMatchObject({ code: "registry.library-exists", kind: "conflict" });
    });
  });

  describe("PGlite", () => {
    it("a closed instance is unavailable", async () => {
      const client = await openPglite();
      const index = await createPgliteAdapterIndex({ client });
      await client.close();
      expect(await rejection(createApiKeyStore(index.db).authenticate("semla_x"))).toMatchObject({ code: "registry.unavailable", details: { reason: "closed" } });
      expect(await rejection(index.listLibraries("t"))).toMatchObject({ code: "registry.unavailable" });
    });
  });
});
