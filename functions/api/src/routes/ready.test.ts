import { createLogger } from "@semla/observability";
import { describe, expect, it } from "vitest";
import { type Readiness, readyRoutes } from "./ready.js";

const ok = async () => undefined;
const failing = async () => {
  throw new Error("connect ECONNREFUSED 10.0.0.7:5432 (password=hunter2)");
};

async function readyz(readiness: Readiness, timeoutMs = 50) {
  const lines: string[] = [];
  const reply = await readyRoutes(readiness, { timeoutMs, logger: createLogger("info", (line) => lines.push(line)) }).request("/readyz");
  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logged, status: reply.status, retryAfter: reply.headers.get("retry-after"), body: (await reply.json()) as { status: string; checks: Record<string, { ok: boolean; error?: string }> } };
}

/** The checks without their timings: which answered, and how the others failed. */
const outcome = (body: { checks: Record<string, { ok: boolean; error?: string }> }) => Object.fromEntries(Object.entries(body.checks).map(([name, { ok, error }]) => [name, error ?? ok]));

describe("GET /readyz", () => {
  it("is 200 only when the database, the store and the backend all answer", async () => {
    const reply = await readyz({ database: ok, store: ok, backend: ok });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("ready");
    expect(outcome(reply.body)).toEqual({ database: true, store: true, backend: true });
  });

  it.each(["database", "store", "backend"])("is 503 naming the %s when it fails, and says how without its error's text (the route is open)", async (name) => {
    const reply = await readyz({ database: ok, store: ok, backend: ok, [name]: failing });
    expect(reply.status).toBe(503);
    expect(reply.retryAfter).toBe("5");
    expect(reply.body.status).toBe("unready");
    expect(outcome(reply.body)).toEqual({ database: true, store: true, backend: true, [name]: "failed" });
    expect(JSON.stringify(reply.body)).not.toContain("hunter2");
    // The operator's log says why (redacted as every logged error is: the password is not a key, so it stays).
    expect(reply.logged).toEqual([expect.objectContaining({ level: "warn", msg: "not ready", dependency: name, error: "connect ECONNREFUSED 10.0.0.7:5432 (password=hunter2)" })]);
  });

  it("gives each dependency a bounded time: one that hangs is 503 'no answer', and its probe is told to stop", async () => {
    let aborted = false;
    const hangs = (signal: AbortSignal) =>
      new Promise<void>(() => {
        signal.addEventListener("abort", () => (aborted = true));
      });
    const started = performance.now();
    const reply = await readyz({ database: hangs, store: failing, backend: ok }, 40);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reply.status).toBe(503);
    expect(outcome(reply.body)).toEqual({ database: "no answer within 40 ms", store: "failed", backend: true });
    expect(reply.logged.map((line) => [line.dependency, line.name])).toEqual([
      ["store", "Error"],
      ["database", "ProbeTimeout"],
    ]);
    expect(aborted).toBe(true);
  });

  it("is 200 with nothing to check (an app given no dependencies)", async () => {
    const reply = await readyz({});
    expect([reply.status, reply.body]).toEqual([200, { status: "ready", checks: {} }]);
  });
});
