import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { describeAdapterIndexContract } from "../testing/adapter-index-contract/index.js";
import { DATA_API_EXCEPTIONS, type DataApiServer, startDataApiServer } from "../testing/data-api-server.js";
import { newAdapter, newLibrary, rejection } from "../testing/fixtures.js";
import { createScratchDatabase, type ScratchDatabase } from "../testing/scratch-database.js";
import { createApiKeyStore } from "./api-keys.js";
import { createDataApiAdapterIndex } from "./data-api-index.js";
import type { DrizzleAdapterIndex } from "./drizzle-index.js";
import { dataApiOutage } from "./outage.js";

/** What a promise rejects with, whatever it is (the SDK's exceptions are not SemlaErrors). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the promise to reject");
    },
    (error: unknown) => error,
  );
}

/** The SDK against the loopback Data API: no retries (an outage answers at once), credentials it does not check. */
function dataApiClient(server: DataApiServer): RDSDataClient {
  return new RDSDataClient({ region: "us-east-1", endpoint: server.url, credentials: { accessKeyId: "AKIDLOOPBACK", secretAccessKey: "loopback" }, maxAttempts: 1 });
}

describeAdapterIndexContract({
  name: "Aurora Data API (loopback, PostgreSQL + pgvector behind it)",
  async open() {
    const scratch = await createScratchDatabase(inject("postgresUrl"));
    const server = await startDataApiServer({ postgresUrl: inject("postgresUrl") });
    const client = dataApiClient(server);
    const options = { resourceArn: server.resourceArn, secretArn: server.secretArn, database: scratch.name, client };
    const index = await createDataApiAdapterIndex(options);
    const pool = new pg.Pool({ connectionString: scratch.url });
    pool.on("error", () => {});
    return {
      index,
      migrate: async () => {
        const again = await createDataApiAdapterIndex(options);
        await again.close();
      },
      query: async (text) => (await pool.query<Record<string, unknown>>(text)).rows,
      async close() {
        await index.close();
        client.destroy();
        await pool.end();
        await server.close();
        await scratch.drop();
      },
    };
  },
});

describe("the Data API's refusals become the registry's errors", () => {
  let scratch: ScratchDatabase;
  let server: DataApiServer;
  let client: RDSDataClient;
  let index: DrizzleAdapterIndex;
  beforeAll(async () => {
    scratch = await createScratchDatabase(inject("postgresUrl"));
    server = await startDataApiServer({ postgresUrl: inject("postgresUrl") });
    client = dataApiClient(server);
    index = await createDataApiAdapterIndex({ resourceArn: server.resourceArn, secretArn: server.secretArn, database: scratch.name, client });
  });
  afterAll(async () => {
    server.failWith(undefined);
    await index?.close();
    client?.destroy();
    await server?.close();
    await scratch?.drop();
  });

  it("a secret the Data API cannot read answers SecretsErrorException (400), which is 503 registry.unavailable", async () => {
    const wrong = await createDataApiAdapterIndex({ resourceArn: server.resourceArn, secretArn: `${server.secretArn}-rotated`, database: scratch.name, client, migrate: false });
    const error = await rejection(wrong.listLibraries("tenant"));
    expect(error).toMatchObject({ code: "registry.unavailable", kind: "unavailable", details: { rule: "unavailable", reason: "SecretsErrorException" } });
    expect(await rejection(createApiKeyStore(wrong.db).authenticate("semla_whatever"))).toMatchObject({ code: "registry.unavailable", details: { reason: "SecretsErrorException" } });
  });

  it("an unknown transaction id answers TransactionNotFoundException (404), which is an outage", async () => {
    const error = await failure(
      client.send(new ExecuteStatementCommand({ resourceArn: server.resourceArn, secretArn: server.secretArn, database: scratch.name, sql: "SELECT 1", transactionId: "no-such-transaction" })),
    );
    expect(error).toMatchObject({ name: "TransactionNotFoundException", message: "Transaction no-such-transaction is not found", $metadata: { httpStatusCode: 404 } });
    expect(dataApiOutage(error)).toBe("TransactionNotFoundException");
  });

  it("a paused cluster resuming (DatabaseResumingException) is 503 registry.unavailable, and the index serves again once it is back", async () => {
    server.failWith(DATA_API_EXCEPTIONS.resuming);
    expect(await rejection(index.createLibrary(newLibrary()))).toMatchObject({ code: "registry.unavailable", details: { reason: "DatabaseResumingException" } });
    server.failWith(undefined);
    const library = await index.createLibrary(newLibrary());
    expect(await index.getLibrary(library.tenant, library.id)).toEqual(library);
  });

  it("a transaction that fails part-way is rolled back (RollbackTransaction), leaving no row and no open transaction", async () => {
    const library = await index.createLibrary(newLibrary({ dimension: 4 }));
    const error = await rejection(index.insertPending(newAdapter(library.id, "wrong-size", [1, 2, 3])));
    expect(error).toMatchObject({ code: "registry.dimension-mismatch" });
    expect(server.openTransactions()).toBe(0);
    expect(await index.listAdapters(library.tenant, { libraryId: library.id, limit: 10 })).toMatchObject({ items: [] });
  });

  it("a caller's mistake stays what it is: a duplicate library is 409 registry.library-exists", async () => {
    const input = newLibrary();
    await index.createLibrary(input);
    expect(await rejection(index.createLibrary(input))).toMatchObject({ code: "registry.library-exists", kind: "conflict" });
  });

  it("an SQL error answers DatabaseErrorException with its SQLState; a cancelled statement (57014) reads as an outage, a syntax error does not", async () => {
    const base = { resourceArn: server.resourceArn, secretArn: server.secretArn, database: scratch.name };
    const cancelled = await failure(client.send(new ExecuteStatementCommand({ ...base, sql: "SET statement_timeout = 50; SELECT pg_sleep(1)" })));
    expect(cancelled).toMatchObject({ name: "DatabaseErrorException", $metadata: { httpStatusCode: 400 } });
    expect(dataApiOutage(cancelled)).toBe("57014");
    const syntax = await failure(client.send(new ExecuteStatementCommand({ ...base, sql: "SELEC 1" })));
    expect(syntax).toMatchObject({ name: "DatabaseErrorException", message: expect.stringMatching(/SQLState: 42601$/) });
    expect(dataApiOutage(syntax)).toBeUndefined();
  });
});
