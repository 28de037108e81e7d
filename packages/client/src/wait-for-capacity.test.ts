import { describe, expect, it } from "vitest";
import { type CapacityWait, SCALING_FROM_ZERO, waitForCapacity } from "./wait-for-capacity.js";

const DETAILS = { rule: "scaling-from-zero", endpointName: "semla", inferenceComponentName: "semla-segmenter", state: "scaling-from-zero", retryAfterSeconds: 30, status: 400 };

/** The API's reply while the GPU scales from zero (a fresh one each time: a body is read once). */
const scaling =
  (retryAfter: string | null = "30") =>
  () =>
    new Response(JSON.stringify({ error: { code: SCALING_FROM_ZERO, message: "the GPU is scaling from zero", details: DETAILS } }), {
      status: 503,
      headers: { "content-type": "application/json", ...(retryAfter === null ? {} : { "retry-after": retryAfter }) },
    });
const ok = () => new Response(JSON.stringify({ mode: "semla" }), { status: 200, headers: { "content-type": "application/json" } });

/** A scripted API (the n-th request gets script[n]) and a clock that moves only when the wrapper sleeps. */
function scripted(script: readonly (() => Response)[]) {
  const sent: { url: string; method: string; body: string; authorization: string | null }[] = [];
  let now = 1000;
  const sleeps: number[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, method: request.method, body: await request.text(), authorization: request.headers.get("authorization") });
    return (script[Math.min(sent.length - 1, script.length - 1)] as () => Response)();
  }) as typeof fetch;
  const clock = {
    now: () => now,
    sleep: async (ms: number, signal: AbortSignal | undefined) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
  return { fetchImpl, clock, sent, sleeps };
}

const post = (f: typeof fetch, init: RequestInit = {}) =>
  f("http://api.test/v1/segment", { method: "POST", headers: { authorization: "Bearer k", "content-type": "application/json" }, body: '{"libraryId":"L"}', ...init });

describe("waitForCapacity: a fetch that waits out a GPU scaling from zero", () => {
  it("sends the same request again after each Retry-After until the API answers otherwise, reporting each wait", async () => {
    const api = scripted([scaling("30"), scaling("20"), ok]);
    const waits: CapacityWait[] = [];
    const response = await post(waitForCapacity(api.fetchImpl, { deadlineMs: 600_000, clock: api.clock, onWait: (w) => waits.push(w) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ mode: "semla" });
    expect(api.sent).toEqual(Array.from({ length: 3 }, () => ({ url: "http://api.test/v1/segment", method: "POST", body: '{"libraryId":"L"}', authorization: "Bearer k" })));
    expect(api.sleeps).toEqual([30_000, 20_000]);
    expect(waits).toEqual([
      { attempt: 1, waitedMs: 0, deadlineMs: 600_000, retryInMs: 30_000, details: DETAILS },
      { attempt: 2, waitedMs: 30_000, deadlineMs: 600_000, retryInMs: 20_000, details: DETAILS },
    ]);
  });

  it("cuts the last wait to the deadline, tries once more there, then returns the API's 503 as it is", async () => {
    const api = scripted([scaling("30")]);
    const waits: CapacityWait[] = [];
    const response = await post(waitForCapacity(api.fetchImpl, { deadlineMs: 45_000, clock: api.clock, onWait: (w) => waits.push(w) }));
    expect(api.sent).toHaveLength(3);
    expect(api.sleeps).toEqual([30_000, 15_000]);
    expect(waits.map((w) => [w.waitedMs, w.retryInMs])).toEqual([
      [0, 30_000],
      [30_000, 15_000],
    ]);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(await response.json()).toMatchObject({ error: { code: SCALING_FROM_ZERO, details: DETAILS } });
  });

  it("with a deadline of 0 returns the first 503 without waiting", async () => {
    const api = scripted([scaling(), ok]);
    const response = await post(waitForCapacity(api.fetchImpl, { deadlineMs: 0, clock: api.clock, onWait: () => expect.unreachable() }));
    expect([response.status, api.sent.length, api.sleeps]).toEqual([503, 1, []]);
  });

  it("without a Retry-After header waits the details' retryAfterSeconds", async () => {
    const api = scripted([scaling(null), ok]);
    expect((await post(waitForCapacity(api.fetchImpl, { deadlineMs: 600_000, clock: api.clock }))).status).toBe(200);
    expect(api.sleeps).toEqual([30_000]);
  });

  it("returns any other answer at once: another 503 (the database down), a 4xx, a 200", async () => {
    const other503 = () => new Response(JSON.stringify({ error: { code: "registry.unavailable", message: "down", details: {} } }), { status: 503, headers: { "retry-after": "5" } });
    for (const reply of [other503, () => new Response("upstream", { status: 503 }), () => new Response("{}", { status: 404 }), ok]) {
      const api = scripted([reply, ok]);
      const response = await post(waitForCapacity(api.fetchImpl, { deadlineMs: 600_000, clock: api.clock }));
      expect([response.status, api.sent.length]).toEqual([reply().status, 1]);
    }
  });

  it("stops waiting when the caller aborts, with the caller's reason", async () => {
    const api = scripted([scaling(), ok]);
    const controller = new AbortController();
    const reason = new Error("the user pressed ^C");
    const waiting = waitForCapacity(api.fetchImpl, { deadlineMs: 600_000, clock: api.clock, onWait: () => controller.abort(reason) });
    await expect(post(waiting, { signal: controller.signal })).rejects.toBe(reason);
    expect(api.sent).toHaveLength(1);
  });

  it("on the real clock too: an abort during a 30 s wait rejects at once with the caller's reason", async () => {
    const api = scripted([scaling("30"), ok]);
    const controller = new AbortController();
    const reason = new Error("gave up");
    const waiting = waitForCapacity(api.fetchImpl, { deadlineMs: 600_000, onWait: () => setTimeout(() => controller.abort(reason), 20) });
    const started = performance.now();
    await expect(post(waiting, { signal: controller.signal })).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(api.sent).toHaveLength(1);
  });
});
