import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "@semla/client";
import { createLogger } from "@semla/observability";
import { parseConfig } from "@semla/service";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "./app.js";
import { createJobRunner } from "./jobs/runner.js";
import { type RunningServer, startServer } from "./server.js";
import { createServices } from "./services.js";
import { type E2eStack, keysUnder, startE2eStack } from "./testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, pngImage, tinyAdapterFiles } from "./testing/fixtures.js";

type Json = Record<string, any>;

/** A loopback receiver of webhooks: what came, with the raw body as sent. */
async function webhookReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/semla`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Issue 19's asynchronous path end to end: POST /v1/jobs embeds and routes in the API and queues the
 * segmenter's run on SageMaker Asynchronous Inference (the reference endpoint behind a front that
 * reads the input from s3rver and writes the output there); GET /v1/jobs/{id} collects the answers.
 */
describe("asynchronous jobs, through the HTTP API", () => {
  let stack: E2eStack;
  let key: string;
  let tenant: string;
  let libraryId: string;
  let image: Uint8Array;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, apiKey = key, base = stack.url) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const segmentRequest = () => ({ libraryId, classNames: ["sky", "road"], options: { k: 2 } });
  const queue = () => stack.asyncQueue!;
  /** Rounds of the API's runner until the endpoint's queue is dry and nothing is left to collect. */
  const settle = async () => {
    await stack.services.jobs.runner.tick();
    await queue().idle();
    await stack.services.jobs.runner.tick();
  };

  beforeAll(async () => {
    stack = await startE2eStack({
      postgresUrl: inject("postgresUrl"),
      s3Endpoint: inject("s3Endpoint"),
      // The receiver listens on loopback, which webhooks may reach only when the operator allows private targets.
      env: { SEMLA_JOBS_WEBHOOK_SECRET: "service-webhook-secret-for-tests", SEMLA_JOBS_RETENTION_SECONDS: "3600", SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE: "true" },
      asyncInference: { instances: 1 },
    });
    ({ key, tenant } = await stack.tenant());
    const dimension = stack.models.imageEncoder.dimension;
    const created = await call("POST", "/v1/libraries", { name: "street", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension });
    libraryId = created.body.id;
    for (const [i, name] of ["clear", "fog"].entries()) {
      const form = adapterForm({ libraryId, name, files: tinyAdapterFiles(stack.models, i + 1), centroid: JSON.stringify(axis(dimension, i)) });
      const uploaded = await fetch(`${stack.url}/v1/adapters`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
      expect(uploaded.status).toBe(201);
    }
    image = await pngImage(48, 32, [40, 120, 200]);
    hooks = await webhookReceiver();
  }, 120_000);
  afterAll(async () => {
    await hooks?.close();
    await stack?.close();
  });

  it("queues a job (202), runs it on the endpoint's asynchronous queue, and answers the mask POST /v1/segment answers", async () => {
    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image), webhook: hooks.url });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({
      status: "queued",
      counts: { total: 1, queued: 1 },
      items: [{ index: 0, source: "image", status: "queued", result: null }],
      webhook: { url: hooks.url, delivery: null },
    });
    const id = submitted.body.id as string;
    expect(Date.parse(submitted.body.expiresAt) - Date.parse(submitted.body.createdAt)).toBe(3_600_000);

    await stack.services.jobs.runner.tick();
    // Submitted with its InferenceId; the API does not wait for the answer.
    expect(queue().accepted).toContain(`${id}-0`);
    await queue().idle();
    const done = await call("GET", `/v1/jobs/${id}`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id, status: "succeeded", counts: { total: 1, succeeded: 1 } });
    const item = done.body.items[0];
    expect(item.result).toMatchObject({ mode: "semla", width: 48, height: 32, mask: `/v1/jobs/${id}/items/0/mask`, adapter: { kind: "inline" } });
    expect(item.result.contributions.map((c: Json) => c.name).sort()).toEqual(["clear", "fog"]);
    expect(Object.keys(item.result.timings.stages)).toEqual(expect.arrayContaining(["embed", "retrieve", "total"]));

    const sync = await call("POST", "/v1/segment", { ...segmentRequest(), image: b64(image) });
    const maskResponse = await fetch(`${stack.url}${item.result.mask}`, { headers: { authorization: `Bearer ${key}` } });
    expect([maskResponse.status, maskResponse.headers.get("content-type")]).toEqual([200, "image/png"]);
    expect(Buffer.from(await maskResponse.arrayBuffer()).toString("base64")).toBe(sync.body.mask);
    expect(item.result.scores).toEqual(sync.body.scores);
    // The invocation's input went once the answer was in; the image and mask stay until the job expires.
    expect((await keysUnder(stack.store, `jobs/${id}/`)).sort()).toEqual([`jobs/${id}/0/image`, `jobs/${id}/0/mask.png`]);
  });

  it("calls the webhook once, signed with the tenant's secret; a tampered body fails verification", async () => {
    expect(hooks.received).toHaveLength(1);
    const [hook] = hooks.received;
    const secret = await call("GET", "/v1/jobs/webhook-secret");
    expect(secret.body.header).toBe("Semla-Signature");
    const signature = hook!.headers["semla-signature"] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhook(secret.body.secret, signature, hook!.body)).toBe(true);
    expect(await verifyWebhook(secret.body.secret, signature, hook!.body.replace('"succeeded"', '"failed"'))).toBe(false);
    const other = await stack.tenant();
    const otherSecret = await call("GET", "/v1/jobs/webhook-secret", undefined, {}, other.key);
    expect(await verifyWebhook(otherSecret.body.secret, signature, hook!.body)).toBe(false);
    const payload = JSON.parse(hook!.body) as Json;
    expect(payload).toMatchObject({ type: "job.succeeded", job: { status: "succeeded", counts: { succeeded: 1 } } });
    const job = await call("GET", `/v1/jobs/${payload.job.id}`);
    expect(job.body.webhook.delivery).toMatchObject({ status: 204, attempts: 1, delivered: true });
  });

  it("is idempotent on the Idempotency-Key: the same request answers the same job, another request 409", async () => {
    const body = { ...segmentRequest(), image: b64(image) };
    const first = await call("POST", "/v1/jobs", body, { "idempotency-key": "batch-2026-12-06" });
    const again = await call("POST", "/v1/jobs", { ...body, idempotencyKey: "batch-2026-12-06" });
    expect([first.status, again.status, again.headers.get("idempotent-replayed")]).toEqual([202, 202, "true"]);
    expect(again.body.id).toBe(first.body.id);
    const changed = await call("POST", "/v1/jobs", { ...body, classNames: ["sky"] }, { "idempotency-key": "batch-2026-12-06" });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toEqual({
      code: "job.idempotency-key-reused",
      message: `idempotency key "batch-2026-12-06" was used for another request (job ${first.body.id}): use a new key for a new request`,
      details: { idempotencyKey: "batch-2026-12-06", jobId: first.body.id },
    });
    // Keys are the tenant's: another tenant's same key makes its own job.
    const other = await stack.tenant();
    const lib = await call(
      "POST",
      "/v1/libraries",
      { name: "other", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension: stack.models.imageEncoder.dimension },
      {},
      other.key,
    );
    const theirs = await call("POST", "/v1/jobs", { ...body, libraryId: lib.body.id }, { "idempotency-key": "batch-2026-12-06" }, other.key);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(first.body.id);
    await settle();
  });

  it("refuses a webhook to a private, loopback or link-local address unless the operator allows them (400, no job)", async () => {
    // The same services with the default setting (SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE unset: false).
    const strict = await startServer(createApp({ ...stack.services, jobs: { ...stack.services.jobs, webhookAllowPrivate: false } }), { port: 0 });
    try {
      const before = await keysUnder(stack.store, "jobs/");
      for (const webhook of [hooks.url, "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/hook", "http://[::1]:9/hook"]) {
        const reply = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image), webhook }, {}, key, strict.url);
        expect([webhook, reply.status, reply.body.error.code, reply.body.error.details]).toEqual([webhook, 400, "api.invalid-request", { field: "webhook" }]);
        expect(reply.body.error.message).toMatch(
          /a private, loopback or link-local address: webhooks go to public addresses \(an operator allows private ones with SEMLA_JOBS_WEBHOOK_ALLOW_PRIVATE=true\)$/,
        );
      }
      expect(await keysUnder(stack.store, "jobs/")).toEqual(before);
    } finally {
      await strict.close();
    }
  });

  it("answers another tenant's job id 404, as a missing one, with the JSON error shape", async () => {
    const mine = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image) });
    const other = await stack.tenant();
    for (const path of [`/v1/jobs/${mine.body.id}`, `/v1/jobs/${mine.body.id}/items/0/mask`]) {
      const reply = await call("GET", path, undefined, {}, other.key);
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe("api.not-found");
    }
    expect((await call("GET", "/v1/jobs/00000000-0000-4000-8000-000000000000")).body.error).toEqual({
      code: "api.not-found",
      message: "job 00000000-0000-4000-8000-000000000000 does not exist",
      details: { jobId: "00000000-0000-4000-8000-000000000000" },
    });
    await settle();
  });

  it("refuses bad input with 4xx and the JSON error shape, leaving no job and no object", async () => {
    const before = await keysUnder(stack.store, "jobs/");
    const cases: [unknown, number, string][] = [
      [{ ...segmentRequest() }, 400, "api.invalid-request"],
      [{ ...segmentRequest(), image: b64(image), images: [{ image: b64(image) }] }, 400, "api.invalid-request"],
      [{ ...segmentRequest(), images: [] }, 400, "api.invalid-request"],
      [{ ...segmentRequest(), images: Array.from({ length: 101 }, () => ({ image: "AAAA" })) }, 400, "api.invalid-request"],
      [{ ...segmentRequest(), image: b64(image), webhook: "ftp://example.com/hook" }, 400, "api.invalid-request"],
      [{ ...segmentRequest(), prefix: "../other/" }, 400, "job.invalid-prefix"],
      [{ ...segmentRequest(), prefix: "nothing-here/" }, 400, "job.empty-folder"],
      [{ ...segmentRequest(), libraryId: "00000000-0000-4000-8000-000000000000", image: b64(image) }, 404, "registry.unknown-library"],
    ];
    for (const [body, status, code] of cases) {
      const reply = await call("POST", "/v1/jobs", body);
      expect([reply.status, reply.body.error.code]).toEqual([status, code]);
      expect(Object.keys(reply.body.error).sort()).toEqual(["code", "details", "message"]);
    }
    const badKey = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image), idempotencyKey: "a" }, { "idempotency-key": "b" });
    expect([badKey.status, badKey.body.error.code]).toEqual([400, "api.invalid-request"]);
    expect(await keysUnder(stack.store, "jobs/")).toEqual(before);
  });

  it("segments a folder of the tenant's images in the bucket, in key order", async () => {
    const folder = `tenants/${encodeURIComponent(tenant)}/images/batch/`;
    await stack.store.put(`${folder}b.png`, await pngImage(16, 16, [200, 10, 10]));
    await stack.store.put(`${folder}a.png`, image);
    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), prefix: "batch/" });
    expect(submitted.status).toBe(202);
    expect(submitted.body.items.map((i: Json) => i.source)).toEqual(["batch/a.png", "batch/b.png"]);
    await settle();
    const done = await call("GET", `/v1/jobs/${submitted.body.id}`);
    expect(done.body.items.map((i: Json) => [i.status, i.result.width])).toEqual([
      ["succeeded", 48],
      ["succeeded", 16],
    ]);
  });

  it("applies segment's coverage: refuse fails the image with pipeline.out-of-library, zeroshot falls back to the base model and says so", async () => {
    queue().scaleTo(1);
    const dimension = stack.models.imageEncoder.dimension;
    const narrow = (await call("POST", "/v1/libraries", { name: "narrow", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension })).body.id as string;
    for (const [i, name] of ["dawn", "dusk"].entries()) {
      // A tiny spread: no image is in this library.
      const form = adapterForm({ libraryId: narrow, name, files: tinyAdapterFiles(stack.models, i + 1), centroid: JSON.stringify(axis(dimension, i)) });
      form.set("spread", "0.001");
      expect((await fetch(`${stack.url}/v1/adapters`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form })).status).toBe(201);
    }
    const request = (coverage: string) => ({ libraryId: narrow, classNames: ["sky", "road"], options: { k: 2, coverage }, image: b64(image) });

    const refused = (await call("POST", "/v1/jobs", request("refuse"))).body.id as string;
    const fallback = (await call("POST", "/v1/jobs", request("zeroshot"))).body.id as string;
    await settle();
    const segment = await call("POST", "/v1/segment", request("refuse"));
    expect(segment.status).toBe(422);
    const failed = await call("GET", `/v1/jobs/${refused}`);
    expect(failed.body).toMatchObject({ status: "failed", counts: { failed: 1 } });
    expect(failed.body.items[0].error).toEqual(segment.body.error);

    const zeroshot = await call("POST", "/v1/segment", request("zeroshot"));
    const done = await call("GET", `/v1/jobs/${fallback}`);
    expect(done.body).toMatchObject({ status: "succeeded", items: [{ status: "succeeded", result: { plan: null, contributions: [] } }] });
    expect(zeroshot.body.coverage).toMatchObject({ status: "out-of-library", policy: "zeroshot", fallback: true });
    expect(done.body.items[0].result.coverage).toEqual(zeroshot.body.coverage);
    const mask = await fetch(`${stack.url}${done.body.items[0].result.mask}`, { headers: { authorization: `Bearer ${key}` } });
    expect(Buffer.from(await mask.arrayBuffer()).toString("base64")).toBe(zeroshot.body.mask);
  });

  it("with no instance, keeps the job queued on SageMaker's side: submitted once each, run once capacity returns, nothing lost or doubled", async () => {
    queue().scaleTo(0);
    const requestsBefore = (await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`)).body.requests as number;
    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), images: [{ image: b64(image) }, { image: b64(await pngImage(24, 24, [10, 200, 10])) }] });
    const id = submitted.body.id as string;
    const acceptedBefore = queue().accepted.length;
    for (let round = 0; round < 3; round++) {
      await stack.services.jobs.runner.tick();
      const polled = await call("GET", `/v1/jobs/${id}`);
      expect(polled.body).toMatchObject({ status: "running", counts: { running: 2, succeeded: 0 } });
    }
    expect(queue().accepted.slice(acceptedBefore)).toEqual([`${id}-0`, `${id}-1`]);
    expect(queue().backlog).toBe(2);
    queue().scaleTo(1);
    await queue().idle();
    const done = await call("GET", `/v1/jobs/${id}`);
    expect(done.body).toMatchObject({ status: "succeeded", counts: { succeeded: 2 } });
    expect(queue().accepted.filter((x) => x.startsWith(id))).toEqual([`${id}-0`, `${id}-1`]);
    expect(queue().completed.filter((x) => x.startsWith(id))).toEqual([`${id}-0`, `${id}-1`]);
    // Each image counted once in the contribution stats, however many rounds polled it.
    await stack.services.jobs.runner.tick();
    expect((await call("GET", `/v1/stats/contributions?libraryId=${libraryId}`)).body.requests).toBe(requestsBefore + 2);
  });

  it("survives a restart: a new API over the same database and bucket finishes the job the old one submitted", async () => {
    queue().scaleTo(0);
    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image) });
    const id = submitted.body.id as string;
    await stack.services.jobs.runner.tick();
    expect(queue().accepted).toContain(`${id}-0`);
    // A second process (a new Lambda container, a restarted server) over the same services.
    const services = await createServices(parseConfig(stack.env), { models: stack.models, logger: createLogger("error", () => {}) });
    let server: RunningServer | undefined;
    try {
      server = await startServer(createApp(services), { port: 0 });
      queue().scaleTo(1);
      await queue().idle();
      const done = await call("GET", `/v1/jobs/${id}`, undefined, {}, key, server.url);
      expect(done.body).toMatchObject({ id, status: "succeeded", counts: { succeeded: 1 } });
      expect(queue().accepted.filter((x) => x.startsWith(id))).toEqual([`${id}-0`]);
    } finally {
      await server?.close();
      await services.close();
    }
  });

  it("expires a job: it answers expired, its results and every object it made are gone", async () => {
    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image) });
    const id = submitted.body.id as string;
    await settle();
    const done = await call("GET", `/v1/jobs/${id}`);
    expect(done.body.status).toBe("succeeded");
    const row = await stack.services.jobs.store.get(tenant, id);
    const submission = (row!.items[0] as Json).submission;
    expect(await stack.store.head(submission.outputKey)).toBeDefined();
    // A runner whose clock is past the expiry (an hour after submission).
    const later = createJobRunner({
      jobs: stack.services.jobs.store,
      store: stack.store,
      pipeline: stack.services.pipeline,
      contributions: stack.services.contributions,
      logger: createLogger("error", () => {}),
      now: () => new Date(Date.parse(done.body.expiresAt) + 1000),
    });
    expect((await later.tick()).expired).toBeGreaterThanOrEqual(1);
    const expired = await call("GET", `/v1/jobs/${id}`);
    expect(expired.body).toMatchObject({ id, status: "expired", items: [{ index: 0, status: "succeeded", result: null, error: null }] });
    expect(await keysUnder(stack.store, `jobs/${id}/`)).toEqual([]);
    expect(await stack.store.head(submission.outputKey)).toBeUndefined();
    const mask = await call("GET", `/v1/jobs/${id}/items/0/mask`);
    expect(mask.status).toBe(404);
  });

  it("marks a job active in the bucket until it ends; the scheduled round advances it, then finds no marker and touches nothing", async () => {
    queue().scaleTo(1);
    // Markers of jobs the earlier tests ended go with the first scheduled round.
    await stack.services.jobs.runner.scheduled();
    await queue().idle();
    await stack.services.jobs.runner.scheduled();
    expect(await keysUnder(stack.store, "jobs/active/")).toEqual([]);

    const submitted = await call("POST", "/v1/jobs", { ...segmentRequest(), image: b64(image) });
    const id = submitted.body.id as string;
    expect(await keysUnder(stack.store, "jobs/active/")).toEqual([`jobs/active/${id}`]);
    expect(await stack.services.jobs.runner.scheduled()).toEqual({ advanced: 1, expired: 0, skipped: false });
    expect(queue().accepted).toContain(`${id}-0`);
    await queue().idle();
    // No GET: the scheduled round collects the answer and ends the job.
    expect(await stack.services.jobs.runner.scheduled()).toEqual({ advanced: 1, expired: 0, skipped: false });
    expect(await keysUnder(stack.store, "jobs/active/")).toEqual([]);
    expect((await stack.services.jobs.store.get(tenant, id))?.status).toBe("succeeded");
    expect(await stack.services.jobs.runner.scheduled()).toEqual({ advanced: 0, expired: 0, skipped: true });
  });
});
