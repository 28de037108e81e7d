// Part of the AdapterIndex contract (index.ts): the jobs table, whichever driver runs it (pg, PGlite, the Data API).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { createJobStore, type JobStore, type NewJob } from "../../db/jobs.js";
import { uniqueTenant } from "../fixtures.js";
import type { ContractSuite } from "./suite.js";

export function describeJobs(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  let store: JobStore;
  beforeAll(() => {
    ({ index } = suite);
    store = createJobStore(index.db);
  });
  const createdAt = new Date("2026-12-06T10:00:00.000Z");
  const job = (overrides: Partial<NewJob> = {}): NewJob => ({
    id: randomUUID(),
    tenant: uniqueTenant(),
    idempotencyKey: null,
    requestSha256: "a".repeat(64),
    request: { libraryId: "lib", classNames: ["sky"] },
    items: [{ index: 0, state: "queued" }],
    webhookUrl: null,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 3_600_000),
    ...overrides,
  });

  describe("jobs", () => {
    it("are created queued and read back by their tenant alone, timestamps to the millisecond", async () => {
      const input = job({ webhookUrl: "https://example.com/hook" });
      const { job: created, created: isNew } = await store.create(input);
      expect(isNew).toBe(true);
      expect(created).toMatchObject({
        id: input.id,
        tenant: input.tenant,
        status: "queued",
        items: input.items,
        request: input.request,
        webhookUrl: "https://example.com/hook",
        webhook: null,
        startedAt: null,
        finishedAt: null,
        leasedUntil: null,
      });
      expect([created.createdAt.toISOString(), created.expiresAt.toISOString()]).toEqual(["2026-12-06T10:00:00.000Z", "2026-12-06T11:00:00.000Z"]);
      expect(await store.get(input.tenant, input.id)).toEqual(created);
      expect(await store.get(uniqueTenant(), input.id)).toBeUndefined();
      expect(await store.get(input.tenant, "not-a-uuid")).toBeUndefined();
    });

    it("answer the tenant's existing job for an idempotency key already used; other tenants' keys are theirs", async () => {
      const first = job({ idempotencyKey: "key-1" });
      await store.create(first);
      const again = await store.create(job({ tenant: first.tenant, idempotencyKey: "key-1", requestSha256: "b".repeat(64) }));
      expect([again.created, again.job.id, again.job.requestSha256]).toEqual([false, first.id, "a".repeat(64)]);
      expect((await store.findByKey(first.tenant, "key-1"))?.id).toBe(first.id);
      const theirs = await store.create(job({ idempotencyKey: "key-1" }));
      expect(theirs.created).toBe(true);
      // Jobs without a key never collide.
      const tenant = uniqueTenant();
      expect([(await store.create(job({ tenant }))).created, (await store.create(job({ tenant }))).created]).toEqual([true, true]);
    });

    it("are held by one runner at a time: a second lease fails until the first is released", async () => {
      const input = job();
      await store.create(input);
      expect((await store.lease(input.id, 60_000))?.id).toBe(input.id);
      expect(await store.lease(input.id, 60_000)).toBeUndefined();
      const saved = await store.save(input.id, { status: "running", items: [{ index: 0, state: "running" }] }, 60_000);
      expect([saved.status, saved.leasedUntil === null]).toEqual(["running", false]);
      expect(await store.lease(input.id, 60_000)).toBeUndefined();
      const released = await store.release(input.id, { status: "succeeded", finishedAt: new Date("2026-12-06T10:05:00.000Z"), webhook: { delivered: true } });
      expect([released.status, released.leasedUntil, released.finishedAt?.toISOString(), released.webhook]).toEqual(["succeeded", null, "2026-12-06T10:05:00.000Z", { delivered: true }]);
      expect((await store.lease(input.id, 60_000))?.id).toBe(input.id);
      await store.release(input.id, {});
      expect(await store.lease(randomUUID(), 60_000)).toBeUndefined();
    });

    it("list the jobs to advance and those past their expiry", async () => {
      const queued = job();
      const done = job();
      await store.create(queued);
      await store.create(done);
      await store.lease(done.id, 1000);
      await store.release(done.id, { status: "succeeded" });
      const active = await store.active(10_000);
      expect(active).toContain(queued.id);
      expect(active).not.toContain(done.id);
      const expired = await store.expiredBefore(new Date(createdAt.getTime() + 3_600_001), 10_000);
      expect(expired).toEqual(expect.arrayContaining([queued.id, done.id]));
      expect(await store.expiredBefore(createdAt, 10_000)).not.toContain(queued.id);
      await store.lease(done.id, 1000);
      await store.release(done.id, { status: "expired" });
      expect(await store.expiredBefore(new Date(createdAt.getTime() + 3_600_001), 10_000)).not.toContain(done.id);
    });
  });
}
