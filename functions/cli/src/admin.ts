import path from "node:path";
import { type ApiConfig, type ApiKeyView, apiKeyView, createClient, openRegistry, parseConfig, runningServer, TenantSchema } from "@semla/api";
import { describeIssues, SemlaError } from "@semla/core";
import { createApiKeyStore, type SweepReport, sweep } from "@semla/registry";
import { configuredDatabase } from "@semla/service";
import { readAdminToken } from "./embedded/admin-token.js";
import { printJson, table } from "./format.js";
import { expectOk } from "./remote/connection.js";

/**
 * Where `semla keys` and `semla sweep` act. A configured deployment (SEMLA_DATABASE_URL, or Aurora's Data API): on its
 * database directly, with the operator's credentials. The embedded folder: through its running
 * server when there is one (PGlite is one process's: a second writer's changes would be lost), with
 * the folder's admin token; else on the folder directly, holding its lock.
 */
type Target = { readonly via: "server"; readonly url: string; readonly client: ReturnType<typeof createClient> } | { readonly via: "database"; readonly config: ApiConfig };

async function target(env: NodeJS.ProcessEnv): Promise<Target> {
  const config = parseConfig(env);
  if (configuredDatabase(config)) return { via: "database", config };
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  const server = await runningServer(dataDir);
  if (!server) return { via: "database", config };
  const token = env.SEMLA_ADMIN_TOKEN?.trim() || (await readAdminToken(dataDir));
  if (!token) throw new SemlaError("cli.no-admin-token", `the server at ${server.url} runs on ${dataDir}, but there is no admin token to manage it with (set SEMLA_ADMIN_TOKEN)`);
  return { via: "server", url: server.url, client: createClient(server.url, token) };
}

/** Runs on the registry opened as the API opens it (for PGlite: under the folder's lock), then closes it. */
async function onRegistry<T>(config: ApiConfig, work: (registry: Awaited<ReturnType<typeof openRegistry>>) => Promise<T>): Promise<T> {
  const registry = await openRegistry(config);
  try {
    return await work(registry);
  } finally {
    await registry.index.close();
  }
}

function where(t: Target): string {
  return t.via === "server" ? `through the server at ${t.url}` : configuredDatabase(t.config) ? "on the configured database" : `in ${path.resolve(t.config.SEMLA_DATA_DIR)}`;
}

/** `semla keys create TENANT`: an API key, printed once (the registry keeps its hash only). */
export async function runCreateKey(tenant: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const valid = TenantSchema.safeParse(tenant);
  if (!valid.success) throw new SemlaError("cli.invalid-tenant", `tenant ${JSON.stringify(tenant)}: ${describeIssues(valid.error.issues)}`, { tenant });
  const t = await target(env);
  const created =
    t.via === "server"
      ? await expectOk(await t.client.v1.admin.keys.$post({ json: { tenant, name } }))
      : await onRegistry(t.config, async (registry) => {
          const { key, record } = await createApiKeyStore(registry.index.db).create(tenant, name);
          return { ...apiKeyView(record), key };
        });
  process.stderr.write(`API key ${created.id} for tenant ${tenant}, ${where(t)} (shown once):\n`);
  console.log(created.key);
}

/** `semla keys ls`: ids, tenants and dates; never a key or its hash. */
export async function runListKeys(tenant: string | undefined, env: NodeJS.ProcessEnv = process.env, options: { json?: boolean } = {}): Promise<void> {
  const t = await target(env);
  const items: readonly ApiKeyView[] =
    t.via === "server"
      ? (await expectOk(await t.client.v1.admin.keys.$get({ query: tenant === undefined ? {} : { tenant } }))).items
      : await onRegistry(t.config, async (registry) => (await createApiKeyStore(registry.index.db).list(tenant)).map(apiKeyView));
  if (options.json) return printJson(items);
  const rows = items.map((k) => [k.id, k.tenant, k.name, k.createdAt, k.lastUsedAt ?? "-", k.revokedAt ?? "-"]);
  console.log(table(["ID", "TENANT", "NAME", "CREATED", "LAST USED", "REVOKED"], rows));
}

/** `semla keys revoke ID`: the key stops working. */
export async function runRevokeKey(id: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const t = await target(env);
  const revoked =
    t.via === "server"
      ? await expectOk(await t.client.v1.admin.keys[":id"].$delete({ param: { id } }))
      : await onRegistry(t.config, async (registry) => {
          const record = await createApiKeyStore(registry.index.db).revoke(undefined, id);
          if (!record) throw new SemlaError("cli.unknown-key", `API key ${id} does not exist`, { keyId: id }, "not-found");
          return apiKeyView(record);
        });
  // Deployed API instances remember a key they authenticated for up to 10 s (auth/key-cache.ts).
  const note = t.via === "server" ? "the server refuses it from now on" : configuredDatabase(t.config) ? "running API instances refuse it within 10 s" : "refused from now on";
  console.log(`revoked API key ${revoked.id} of tenant ${revoked.tenant} at ${revoked.revokedAt}: ${note}`);
}

/** `semla sweep`: removes what interrupted registrations left (pending rows, orphan objects) once older than the age. */
export async function runSweep(olderThanMinutes: number, env: NodeJS.ProcessEnv = process.env): Promise<SweepReport> {
  const t = await target(env);
  const afterMs = olderThanMinutes * 60_000;
  const report =
    t.via === "server"
      ? await expectOk(await t.client.v1.admin.sweep.$post({ json: { olderThanSeconds: Math.round(afterMs / 1000) } }))
      : await onRegistry(t.config, (registry) => sweep({ index: registry.index, store: registry.store }, { pendingAfterMs: afterMs, orphanAfterMs: afterMs }));
  console.log(`swept ${where(t)}: removed ${report.pendingRemoved} pending adapter row(s) and ${report.orphansRemoved} orphan object(s) older than ${olderThanMinutes} min`);
  return report;
}
