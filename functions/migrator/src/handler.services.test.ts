import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ignoreConnectionErrors, MIGRATIONS_FOLDER } from "@semla/registry";
import { createScratchDatabase, type ScratchDatabase } from "@semla/registry/testing";
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

describe("migrator configuration", () => {
  test("the migrations folder defaults to the task root's copy", () => {
    expect(parseMigratorConfig({ SEMLA_DATABASE_URL: "postgres://u:p@db:5432/semla", LAMBDA_TASK_ROOT: "/var/task" })).toEqual({
      databaseUrl: "postgres://u:p@db:5432/semla",
      migrationsFolder: "/var/task/migrations",
    });
  });

  test("a database URL that is not postgres:// and a malformed key hash are named", () => {
    expect(() => parseMigratorConfig({ SEMLA_DATABASE_URL: "mysql://db/x", SEMLA_BOOTSTRAP_API_KEY_SHA256: "semla_clear-key" })).toThrow(
      new MigratorConfigError("invalid migrator configuration: SEMLA_DATABASE_URL: must be a postgres:// URL; SEMLA_BOOTSTRAP_API_KEY_SHA256: must be the sha256 of the key, 64 lowercase hex digits"),
    );
  });
});
