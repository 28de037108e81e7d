import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ignoreConnectionErrors, MIGRATIONS_FOLDER } from "@semla/registry";
import { createScratchDatabase, DATA_API_EXCEPTIONS, type DataApiServer, type ScratchDatabase, startDataApiServer } from "@semla/registry/testing";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { MigratorConfigError, parseMigratorConfig } from "./config.js";
import { handler } from "./handler.js";

const KEY_SHA256 = createHash("sha256").update("semla_bootstrap-test", "utf8").digest("hex");
const JOURNAL = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as { entries: unknown[] };

let scratch: ScratchDatabase;
let pool: pg.Pool;
const saved = { ...process.env };

beforeAll(async () => {
  scratch = await createScratchDatabase(inject("postgresUrl"));
  pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  ignoreConnectionErrors(pool);
});
afterAll(async () => {
  await pool.end();
  await scratch.drop();
});
afterEach(() => {
  process.env = { ...saved };
});

/** The function's environment as infra/migrations.ts sets it, with the migrations at the task root. */
function deployEnv(extra: Record<string, string> = {}): void {
  process.env.SEMLA_DATABASE_URL = scratch.url;
  process.env.LAMBDA_TASK_ROOT = path.dirname(MIGRATIONS_FOLDER);
  process.env.SEMLA_BOOTSTRAP_API_KEY_SHA256 = KEY_SHA256;
  Object.assign(process.env, extra);
}

describe("the migrator Lambda against PostgreSQL + pgvector", () => {
  test("applies every migration to an empty database and records the bootstrap key's hash", async () => {
    deployEnv();
    expect(await handler({ action: "migrate" })).toEqual({ applied: { before: 0, after: JOURNAL.entries.length }, bootstrapKey: "created" });
    const { rows: extensions } = await pool.query<{ extname: string }>("SELECT extname FROM pg_extension WHERE extname = 'vector'");
    expect(extensions).toEqual([{ extname: "vector" }]);
    const { rows: keys } = await pool.query("SELECT tenant, name, key_hash, revoked_at FROM api_keys");
    expect(keys).toEqual([{ tenant: "default", name: "bootstrap", key_hash: KEY_SHA256, revoked_at: null }]);
  });

  test("a second deploy changes nothing (the event may be empty)", async () => {
    deployEnv();
    expect(await handler({})).toEqual({ applied: { before: JOURNAL.entries.length, after: JOURNAL.entries.length }, bootstrapKey: "exists" });
    expect((await pool.query("SELECT count(*)::int AS n FROM api_keys")).rows).toEqual([{ n: 1 }]);
  });

  test("without a bootstrap key it only migrates; a tenant can be named", async () => {
    deployEnv();
    delete process.env.SEMLA_BOOTSTRAP_API_KEY_SHA256;
    expect((await handler(undefined)).bootstrapKey).toBe("none");
    const other = createHash("sha256").update("semla_other", "utf8").digest("hex");
    deployEnv({ SEMLA_BOOTSTRAP_API_KEY_SHA256: other, SEMLA_BOOTSTRAP_TENANT: "acme" });
    expect((await handler({ action: "migrate" })).bootstrapKey).toBe("created");
    expect((await pool.query("SELECT tenant FROM api_keys WHERE key_hash = $1", [other])).rows).toEqual([{ tenant: "acme" }]);
  });

  test("a bundle without migrations/ fails the invocation (and so the deploy), saying why", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "semla-task-"));
    deployEnv({ LAMBDA_TASK_ROOT: empty });
    await expect(handler({ action: "migrate" })).rejects.toThrow(`no migrations in ${path.join(empty, "migrations")} (meta/_journal.json is missing): the bundle lacks the migrations/ folder`);
  });

  test("an unknown action is refused before touching the database", async () => {
    await expect(handler({ action: "drop" })).rejects.toThrow('unknown action "drop": the migrator only does "migrate"');
  });

  test("an unreachable database fails the invocation", async () => {
    deployEnv({ SEMLA_DATABASE_URL: "postgres://nobody:x@127.0.0.1:1/none" });
    await expect(handler({ action: "migrate" })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("the migrator Lambda through Aurora's Data API (loopback, PostgreSQL + pgvector behind it)", () => {
  let dataApiScratch: ScratchDatabase;
  let server: DataApiServer;
  let direct: pg.Pool;
  beforeAll(async () => {
    dataApiScratch = await createScratchDatabase(inject("postgresUrl"));
    server = await startDataApiServer({ postgresUrl: inject("postgresUrl") });
    direct = new pg.Pool({ connectionString: dataApiScratch.url, max: 1 });
    ignoreConnectionErrors(direct);
  });
  afterAll(async () => {
    await direct.end();
    await server.close();
    await dataApiScratch.drop();
  });

  /** The function's environment as infra/migrations.ts sets it in "data-api" mode (Lambda supplies the region and credentials). */
  function dataApiEnv(extra: Record<string, string> = {}): void {
    delete process.env.SEMLA_DATABASE_URL;
    Object.assign(process.env, {
      SEMLA_DATA_API_RESOURCE_ARN: server.resourceArn,
      SEMLA_DATA_API_SECRET_ARN: server.secretArn,
      SEMLA_DATA_API_DATABASE: dataApiScratch.name,
      SEMLA_DATA_API_URL: server.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDLOOPBACK",
      AWS_SECRET_ACCESS_KEY: "loopback",
      LAMBDA_TASK_ROOT: path.dirname(MIGRATIONS_FOLDER),
      SEMLA_BOOTSTRAP_API_KEY_SHA256: KEY_SHA256,
      ...extra,
    });
  }

  test("applies every migration and records the bootstrap key's hash, then a second deploy changes nothing", async () => {
    dataApiEnv();
    expect(await handler({ action: "migrate" })).toEqual({ applied: { before: 0, after: JOURNAL.entries.length }, bootstrapKey: "created" });
    expect((await direct.query("SELECT extname FROM pg_extension WHERE extname = 'vector'")).rows).toEqual([{ extname: "vector" }]);
    expect((await direct.query("SELECT tenant, name, key_hash, revoked_at FROM api_keys")).rows).toEqual([{ tenant: "default", name: "bootstrap", key_hash: KEY_SHA256, revoked_at: null }]);
    expect(await handler({})).toEqual({ applied: { before: JOURNAL.entries.length, after: JOURNAL.entries.length }, bootstrapKey: "exists" });
    expect(server.openTransactions()).toBe(0);
  });

  test("a paused cluster that does not resume in time fails the invocation with the Data API's exception", async () => {
    dataApiEnv();
    server.failWith(DATA_API_EXCEPTIONS.unavailable);
    try {
      await expect(handler({ action: "migrate" })).rejects.toMatchObject({ name: "DatabaseUnavailableException" });
    } finally {
      server.failWith(undefined);
    }
  });
});

describe("migrator configuration", () => {
  test("the migrations folder defaults to the task root's copy", () => {
    expect(parseMigratorConfig({ SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla", LAMBDA_TASK_ROOT: "/var/task" })).toEqual({
      database: { kind: "pg", url: "postgres://u:p@db:5432/semla" },
      migrationsFolder: "/var/task/migrations",
    });
  });

  const CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:semla-dev";
  const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:semla-dev-db-AbCdEf";

  test("the SEMLA_DATA_API_* settings (infra's data-api mode) migrate through the Data API in the function's region", () => {
    expect(
      parseMigratorConfig({ SEMLA_DATA_API_RESOURCE_ARN: CLUSTER, SEMLA_DATA_API_SECRET_ARN: SECRET, SEMLA_DATA_API_DATABASE: "semla", AWS_REGION: "eu-west-1", LAMBDA_TASK_ROOT: "/var/task" }),
    ).toEqual({
      database: { kind: "data-api", resourceArn: CLUSTER, secretArn: SECRET, database: "semla", region: "eu-west-1" },
      migrationsFolder: "/var/task/migrations",
    });
  });

  test("no database, half the Data API settings, or both kinds at once are refused by name", () => {
    expect(() => parseMigratorConfig({})).toThrow(
      new MigratorConfigError("invalid migrator configuration: SEMLA_DATABASE_URL: required (or the SEMLA_DATA_API_* settings): the migrator needs a database"),
    );
    expect(() => parseMigratorConfig({ SEMLA_DATA_API_RESOURCE_ARN: CLUSTER })).toThrow(
      new MigratorConfigError(
        "invalid migrator configuration: SEMLA_DATA_API_SECRET_ARN: required with the other SEMLA_DATA_API_* settings (Aurora through the Data API); SEMLA_DATA_API_DATABASE: required with the other SEMLA_DATA_API_* settings (Aurora through the Data API)",
      ),
    );
    expect(() =>
      parseMigratorConfig({ SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla", SEMLA_DATA_API_RESOURCE_ARN: CLUSTER, SEMLA_DATA_API_SECRET_ARN: SECRET, SEMLA_DATA_API_DATABASE: "semla" }),
    ).toThrow(new MigratorConfigError("invalid migrator configuration: SEMLA_DATABASE_URL: set either SEMLA_DATABASE_URL or the SEMLA_DATA_API_* settings, not both"));
    expect(() => parseMigratorConfig({ SEMLA_DATA_API_RESOURCE_ARN: "arn:aws:rds:us-east-1:123456789012:db:x", SEMLA_DATA_API_SECRET_ARN: SECRET, SEMLA_DATA_API_DATABASE: "semla" })).toThrow(
      new MigratorConfigError("invalid migrator configuration: SEMLA_DATA_API_RESOURCE_ARN: must be an Aurora cluster ARN (arn:aws:rds:REGION:ACCOUNT:cluster:NAME)"),
    );
  });

  test("a database URL that is not postgres:// and a malformed key hash are named", () => {
    expect(() => parseMigratorConfig({ SEMLA_DATABASE_URL: "mysql://db/x", SEMLA_BOOTSTRAP_API_KEY_SHA256: "semla_clear-key" })).toThrow(
      new MigratorConfigError("invalid migrator configuration: SEMLA_DATABASE_URL: must be a postgres:// URL; SEMLA_BOOTSTRAP_API_KEY_SHA256: must be the sha256 of the key, 64 lowercase hex digits"),
    );
  });
});
