import { createRoute, z } from "@hono/zod-openapi";
import { errorFields, type Logger } from "@semla/observability";
import { errorResponses, PUBLIC } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

/** One dependency's check: resolves when it answers; the signal ends it at the time-out. */
export type ReadinessProbe = (signal: AbortSignal) => Promise<unknown>;

/** The dependencies GET /readyz asks, by name (database, store, backend). */
export type Readiness = Readonly<Record<string, ReadinessProbe>>;

/** Each probe gets this long (the load balancer's own check times out at a few seconds). */
export const READY_TIMEOUT_MS = 2000;

const CheckSchema = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const ReadySchema = z.object({ status: z.enum(["ready", "unready"]), checks: z.record(z.string(), CheckSchema) });

const ready = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "ready",
  summary: "Readiness check",
  tags: ["health"],
  security: PUBLIC,
  responses: {
    // Any route's answers (429, 500); this route's own 503 below replaces the generic one.
    ...errorResponses(),
    200: { description: "Every dependency answered (database, object store, inference backend)", content: { "application/json": { schema: ReadySchema } } },
    503: {
      description: "A dependency did not answer in time or failed: `checks` names it",
      headers: { "Retry-After": { description: "Seconds to wait before asking again", schema: { type: "integer", minimum: 1 } } },
      content: { "application/json": { schema: ReadySchema } },
    },
  },
});

type Check = z.infer<typeof CheckSchema>;

/** Runs one probe under the time-out; the error says what kind of failure, never its text (the route is unauthenticated). */
async function check(probe: ReadinessProbe, timeoutMs: number, failed: (error: unknown) => void): Promise<Check> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const ms = () => Math.round(performance.now() - started);
  try {
    await Promise.race([
      probe(controller.signal),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: ms() };
  } catch (error) {
    controller.abort();
    failed(error);
    return { ok: false, ms: ms(), error: error instanceof ProbeTimeout ? error.message : "failed" };
  } finally {
    clearTimeout(timer);
  }
}

/** What an unready answer asks a balancer or a client to wait before asking again. */
const READY_RETRY_AFTER_SECONDS = 5;

class ProbeTimeout extends Error {
  override readonly name = "ProbeTimeout";
}

/**
 * GET /readyz: 200 only when every dependency answers, else 503 naming the one(s) that did not
 * (unlike /healthz: the process is up). The answer says how a check failed; the log says why.
 */
export function readyRoutes(readiness: Readiness, { timeoutMs = READY_TIMEOUT_MS, logger }: { timeoutMs?: number; logger?: Logger } = {}) {
  return newRouter().openapi(ready, async (c) => {
    const names = Object.keys(readiness);
    const results = await Promise.all(
      names.map((name) => check(readiness[name] as ReadinessProbe, timeoutMs, (error) => logger?.log("warn", "not ready", { requestId: c.get("requestId"), dependency: name, ...errorFields(error) }))),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] as Check]));
    const ok = results.every((r) => r.ok);
    c.header("cache-control", "no-store");
    if (ok) return c.json({ status: "ready" as const, checks }, 200);
    c.header("retry-after", "5");
    return c.json({ status: "unready" as const, checks }, 503, { "Retry-After": String(READY_RETRY_AFTER_SECONDS) });
  });
}
