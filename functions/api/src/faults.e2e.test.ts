import { registerAdapter, sweep } from "@semla/registry";
import type { BlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";
import { startTcpProxy, type TcpProxy } from "./testing/tcp-proxy.js";

/**
 * Outages of each dependency, on the real parts: PostgreSQL + pgvector (the shared test cluster),
 * s3rver and the reference endpoint over HTTP, each reached by the API through a loopback TCP proxy
 * that the test cuts (the port stops listening and open connections are reset: what a stopped
 * server looks like to its clients) or hangs (connections accepted, nothing answered). A proxy
 * rather than stopping the services: the cluster and s3rver serve the other test files running in
 * parallel, and a proxy cuts and restores in milliseconds, so the suite stays short.
 *
 * Every request is bounded at 5 s (the "never a hang"); every outage must answer 503/504
 * with its stable code and Retry-After, never 500; the API recovers without a restart.
 */
const REQUEST_BOUND_MS = 5_000;
const ENV = {
  // A hung endpoint answers 504 well inside the request bound; an unreachable one is tried twice.
  SEMLA_BACKEND_TIMEOUT_MS: "1500",
  SEMLA_BACKEND_MAX_ATTEMPTS: "2",
  SEMLA_DATABASE_CONNECT_TIMEOUT_MS: "2000",
  SEMLA_DATABASE_STATEMENT_TIMEOUT_MS: "3000",
};

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

function through(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = proxy.host;
  parsed.port = String(proxy.port);
  return parsed.toString().replace(/\/$/, "");
}

interface Reply {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly body: Record<string, any> | undefined;
}

describe("outages of PostgreSQL, the object store and the endpoint", () => {
  let stack: E2eStack;
  let database: TcpProxy;
  let objects: TcpProxy;
  let endpoint: TcpProxy | undefined;
  let key: string;
  let tenant: string;
  let libraryId: string;
  let dimension: number;
  let image: string;
  let seed = 1000;

  async function call(method: string, path: string, options: { key?: string; body?: unknown; form?: FormData } = {}): Promise<Reply> {
    const headers: Record<string, string> = options.key ? { authorization: `Bearer ${options.key}` } : {};
    let body: RequestInit["body"];
    if (options.form) body = options.form;
    else if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    // The bound: no request waits longer than this, whatever is down (an abort fails the test).
    const response = await fetch(`${stack.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, any>) : undefined;
    return { status: response.status, code: parsed?.error?.code, retryAfter: response.headers.get("retry-after"), body: parsed };
  }

  const upload = (name: string, options: { key?: string } = {}) =>
    call("POST", "/v1/adapters", {
      key: options.key ?? key,
      form: adapterForm({ libraryId, name, files: tinyAdapterFiles(stack.models, ++seed), centroid: JSON.stringify(axis(dimension, seed % dimension)) }),
    });
  const segment = (options: Record<string, unknown> = {}) => call("POST", "/v1/segment", { key, body: { libraryId, image, classNames: ["sky", "road"], options: { k: 3, ...options } } });
  const listed = async () => (await call("GET", `/v1/adapters?libraryId=${libraryId}&limit=500`, { key })).body!.items as { id: string; name: string; status: string }[];

  beforeAll(async () => {
    const postgresUrl = inject("postgresUrl");
    const s3Endpoint = inject("s3Endpoint");
    database = await startTcpProxy(hostPort(postgresUrl));
    objects = await startTcpProxy(hostPort(s3Endpoint));
    stack = await startE2eStack({
      postgresUrl: through(postgresUrl, database),
      s3Endpoint: through(s3Endpoint, objects),
      env: ENV,
      async sagemakerUrl(url) {
        endpoint = await startTcpProxy(hostPort(url));
        return through(url, endpoint);
      },
    });
    ({ key, tenant } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { key, body: { name: "outages", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension } });
    expect(created.status).toBe(201);
    libraryId = created.body!.id;
    for (const name of ["clear", "fog", "night"]) expect((await upload(name)).status).toBe(201);
    image = Buffer.from(await pngImage(48, 40, [120, 140, 200])).toString("base64");
    expect((await segment()).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    for (const proxy of [database, objects, endpoint]) await proxy?.restore();
    await stack?.close();
    for (const proxy of [database, objects, endpoint]) await proxy?.close();
  });

  /** Runs `during` with the dependency cut, restoring it whatever happens. */
  async function whileCut<T>(proxy: TcpProxy, during: () => Promise<T>): Promise<T> {
    await proxy.cut();
    try {
      return await during();
    } finally {
      await proxy.restore();
    }
  }

  /** Registers an adapter through the registry while PostgreSQL goes down right after its object is written. */
  function registerHalfway(name: string) {
    const cutAfterPut: BlobStore = {
      ...stack.store,
      async put(objectKey, body, options) {
        await stack.store.put(objectKey, body, options);
        await database.cut();
      },
    };
    const files = tinyAdapterFiles(stack.models, ++seed);
    return registerAdapter(
      { index: stack.services.index, store: cutAfterPut },
      { tenant, libraryId, name, config: files.config, weights: files.weights, centroid: Float32Array.from(axis(dimension, 1)) },
    );
  }

  describe("regressions: each finding's exact request", () => {
    it("the API-key lookup with PostgreSQL down answers 503 registry.unavailable with Retry-After (was 500 api.internal)", async () => {
      // A key never used: not in the API's key cache, so the request's first step is the database lookup.
      const { key: fresh } = await stack.tenant();
      const reply = await whileCut(database, () => call("GET", "/v1/libraries", { key: fresh }));
      expect(reply).toMatchObject({ status: 503, code: "registry.unavailable", retryAfter: "5" });
      expect(reply.body!.error.details).toEqual({ rule: "unavailable", reason: "ECONNREFUSED" });
      // Back at once, without a restart.
      expect((await call("GET", "/v1/libraries", { key: fresh })).status).toBe(200);
    });

    it("an adapter upload with the object store down answers 503 store.unavailable and leaves no adapter and no pending row (was 500)", async () => {
      const reply = await whileCut(objects, () => upload("stormy"));
      expect(reply).toMatchObject({ status: 503, code: "store.unavailable", retryAfter: "5" });
      expect(reply.body!.error.details).toMatchObject({ rule: "unavailable", store: "s3", reason: "ECONNREFUSED" });
      expect((await listed()).some((a) => a.name === "stormy")).toBe(false);
      expect((await stack.services.index.stalePending(new Date(Date.now() + 3_600_000))).some((row) => row.name === "stormy")).toBe(false);
    });

    it("a segment on an adapter not yet cached, with the object store down, answers 503 store.unavailable (was 500); served once the store is back", async () => {
      const created = await upload("uncached");
      expect(created.status).toBe(201);
      const id = created.body!.adapter.id as string;
      const reply = await whileCut(objects, () => segment({ mode: "adapter", adapter: id }));
      expect(reply).toMatchObject({ status: 503, code: "store.unavailable", retryAfter: "5" });
      expect((await segment({ mode: "adapter", adapter: id })).status).toBe(200);
    });

    it("a pending row left by PostgreSQL going down mid-upload is never listed, and the sweep removes it", async () => {
      // The database goes down right after the object is written: activation fails, and so does the
      // undo's delete of the row (the object's delete succeeds): a pending row without an object.
      const index = stack.services.index;
      try {
        await expect(registerHalfway("halfway")).rejects.toMatchObject({ code: "registry.unavailable" });
      } finally {
        await database.restore();
      }
      const later = new Date(Date.now() + 3_600_000);
      const [left] = (await index.stalePending(later)).filter((row) => row.name === "halfway");
      expect(left).toMatchObject({ status: "pending", libraryId });
      expect(await stack.store.head(left!.objectKey)).toBeUndefined();

      expect((await listed()).map((a) => a.name)).not.toContain("halfway");
      expect(await call("GET", `/v1/adapters?libraryId=${libraryId}&status=pending`, { key })).toMatchObject({ status: 400, code: "api.invalid-request" });

      expect(await sweep(stack.services, { now: later })).toMatchObject({ pendingRemoved: 1 });
      expect((await index.stalePending(later)).some((row) => row.name === "halfway")).toBe(false);
    });

    it("PostgreSQL going down between checkout and BEGIN more often than the pool has connections leaves the pool usable", async () => {
      // drizzle sends BEGIN outside its try/finally: each connection lost there used to stay checked
      // out, and after 10 (the pool's size) every request waited for a connection and failed.
      for (let flap = 0; flap < 12; flap++) {
        try {
          await expect(registerHalfway(`flap-${flap}`)).rejects.toMatchObject({ code: "registry.unavailable" });
        } finally {
          await database.restore();
        }
      }
      const { key: fresh } = await stack.tenant();
      expect((await call("GET", "/v1/libraries", { key: fresh })).status).toBe(200);
      await sweep(stack.services, { now: new Date(Date.now() + 3_600_000) });
    });
  });

  describe("under a bounded loopback load (3 clients: uploads and segments)", () => {
    type Op = "upload" | "segment";
    interface Outcome {
      readonly op: Op;
      readonly started: number;
      readonly ended: number;
      readonly reply: Reply;
      readonly adapterId?: string;
    }

    it("answers 503/504 with the outage's code during each fault, never 500 nor a hang, recovers without a restart, loses no acknowledged adapter, leaves nothing pending", async () => {
      const outcomes: Outcome[] = [];
      const CLIENTS = 3;
      const MAX_REQUESTS = 600;
      let stopped = false;
      let issued = 0;
      let uploads = 0;
      const client = async (id: number) => {
        for (let n = 0; !stopped && issued < MAX_REQUESTS; n++) {
          issued++;
          const op: Op = (n + id) % 2 === 0 ? "upload" : "segment";
          const started = performance.now();
          const reply = op === "upload" ? await upload(`load-${id}-${++uploads}`) : await segment();
          outcomes.push({ op, started, ended: performance.now(), reply, ...(op === "upload" && reply.status < 300 ? { adapterId: reply.body!.adapter.id as string } : {}) });
        }
      };
      /** Waits (bounded) until `count` requests that started after `since` have finished. */
      const settled = async (since: number, count: number) => {
        for (let waited = 0; outcomes.filter((o) => o.started >= since).length < count; waited += 20) {
          if (waited > 20_000) throw new Error(`only ${outcomes.filter((o) => o.started >= since).length} of ${count} requests finished in 20 s`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };

      const phases: { name: string; fault: () => Promise<void>; restore: () => Promise<void>; during: Record<Op, readonly string[]> }[] = [
        { name: "PostgreSQL stopped", fault: () => database.cut(), restore: () => database.restore(), during: { upload: ["503 registry.unavailable"], segment: ["503 registry.unavailable"] } },
        // Segments over adapters already cached in the API need no store: they may still be served.
        { name: "object store stopped", fault: () => objects.cut(), restore: () => objects.restore(), during: { upload: ["503 store.unavailable"], segment: ["200", "503 store.unavailable"] } },
        { name: "endpoint stopped", fault: () => endpoint!.cut(), restore: () => endpoint!.restore(), during: { upload: ["201"], segment: ["503 backend.unavailable"] } },
        { name: "endpoint hung", fault: () => endpoint!.hang(), restore: () => endpoint!.restore(), during: { upload: ["201"], segment: ["504 backend.timeout"] } },
      ];
      const windows: { phase: (typeof phases)[number]; faultFrom: number; faultTo: number; recoveredFrom: number }[] = [];

      const running = Array.from({ length: CLIENTS }, (_, id) => client(id));
      try {
        await settled(0, 6);
        for (const phase of phases) {
          await phase.fault();
          const faultFrom = performance.now();
          await settled(faultFrom, 2 * CLIENTS);
          const faultTo = performance.now();
          await phase.restore();
          const recoveredFrom = performance.now();
          await settled(recoveredFrom, 2 * CLIENTS);
          windows.push({ phase, faultFrom, faultTo, recoveredFrom });
        }
      } finally {
        stopped = true;
        await Promise.all(running);
      }

      const label = (o: Outcome) => (o.reply.status < 300 ? String(o.reply.status) : `${o.reply.status} ${o.reply.code}`);
      // Never a 500 (nor a hang: the 5 s abort would have thrown), and every 503/504 says when to retry.
      expect(outcomes.filter((o) => o.reply.status >= 500 && o.reply.status !== 503 && o.reply.status !== 504).map(label)).toEqual([]);
      expect(outcomes.filter((o) => (o.reply.status === 503 || o.reply.status === 504) && o.reply.retryAfter !== "5").map(label)).toEqual([]);
      for (const { phase, faultFrom, faultTo, recoveredFrom } of windows) {
        // Requests sent while the dependency was away answer with its outage's code.
        const during = outcomes.filter((o) => o.started >= faultFrom && o.ended <= faultTo);
        expect(during.length, phase.name).toBeGreaterThan(0);
        for (const outcome of during) expect(phase.during[outcome.op], `${phase.name}: ${outcome.op} answered ${label(outcome)}`).toContain(label(outcome));
        // Requests sent once it was back are served: no restart needed.
        const after = outcomes.filter((o) => o.started >= recoveredFrom && (windows.find((w) => w.faultFrom > recoveredFrom)?.faultFrom ?? Infinity) > o.ended);
        expect(after.length, phase.name).toBeGreaterThan(0);
        expect(after.filter((o) => o.reply.status >= 300).map(label), `after ${phase.name}`).toEqual([]);
      }
      // Requests in flight when a dependency went away may have been served or refused, but only so.
      const allowed = new Set(["200", "201", ...phases.flatMap((p) => [...p.during.upload, ...p.during.segment])]);
      expect(outcomes.map(label).filter((l) => !allowed.has(l))).toEqual([]);

      // Every acknowledged adapter is there, readable and usable.
      const acknowledged = outcomes.flatMap((o) => (o.adapterId ? [o.adapterId] : []));
      expect(acknowledged.length).toBeGreaterThan(4);
      const ids = new Set((await listed()).map((a) => a.id));
      expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
      for (const id of acknowledged) {
        expect((await call("GET", `/v1/adapters/${id}`, { key })).status, id).toBe(200);
        expect((await segment({ mode: "adapter", adapter: id })).status, id).toBe(200);
      }

      // Nothing pending after a sweep, and no object without its row.
      const later = new Date(Date.now() + 3_600_000);
      await sweep(stack.services, { now: later });
      expect(await stack.services.index.stalePending(later)).toEqual([]);
      const objectKeys = await keysUnder(stack.store, "adapters/");
      const unreferenced = [];
      for (const objectKey of objectKeys) if (!(await stack.services.index.referencesObject(objectKey))) unreferenced.push(objectKey);
      expect(unreferenced).toEqual([]);
    }, 90_000);
  });
});
