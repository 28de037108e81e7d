import type { BlobStore } from "@semla/storage";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AdapterIndex, LibraryRecord } from "../db/adapter-index.js";
import { RegistryError } from "../errors.js";
import { adapterFiles, axis, type Backends, embeddedBackends, serverBackends } from "../testing/harness.js";
import { deleteAdapter, registerAdapter } from "./register.js";
import { sweep } from "./sweep.js";

const TENANT = "tenant-a";

async function objectKeys(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list("adapters/")) keys.push(blob.key);
  return keys.sort();
}

async function rows(index: AdapterIndex, library: LibraryRecord) {
  return (await index.listAdapters(TENANT, { libraryId: library.id, limit: 100 })).items;
}

/** Wraps an object so that `method` rejects with `error` (once, or always). */
function failing<T extends object>(target: T, method: keyof T, error = new Error(`injected failure in ${String(method)}`)): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property === method) return () => Promise.reject(error);
      const value = Reflect.get(object, property, receiver);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

for (const [label, open] of [
  ["PGlite + filesystem", () => embeddedBackends()],
  ["PostgreSQL + S3", () => serverBackends(inject("postgresUrl"), inject("s3Endpoint"))],
] as const) {
  describe(`registering adapters (${label})`, () => {
    let backends: Backends;
    let library: LibraryRecord;
    let seed = 100;
    const deps = () => ({ index: backends.index, store: backends.store });
    const input = (name: string, overrides: Partial<Parameters<typeof registerAdapter>[1]> = {}) => {
      const files = adapterFiles(seed++);
      return { tenant: TENANT, libraryId: library.id, name, config: files.config, weights: files.weights, centroid: axis(4, 0), ...overrides };
    };

    beforeAll(async () => {
      backends = await open();
      library = await backends.index.createLibrary({ tenant: TENANT, name: "street", baseModelId: "catseg-test", embeddingModelId: "clip-test", dimension: 4, metric: "euclidean" });
    });
    afterAll(() => backends.close());

    it("stores the object under a service-built key and an active row, found by retrieval", async () => {
      const { adapter, created } = await registerAdapter(deps(), input("fog", { centroid: axis(4, 1, 0.5) }));
      expect(created).toBe(true);
      expect(adapter).toMatchObject({ name: "fog", version: 1, status: "active", rank: 2 });
      expect(adapter.objectKey).toBe(`adapters/${library.id}/${adapter.id}/v1/${adapter.sha256}.safetensors`);
      expect(await backends.store.head(adapter.objectKey)).toMatchObject({ size: adapter.byteSize });
      const [nearest] = await backends.index.nearest(library.id, axis(4, 1, 0.5), { k: 1 });
      expect(nearest).toMatchObject({ id: adapter.id, name: "fog", distance: 0 });
    });

    it("is idempotent: the same bytes under the same name return the existing adapter", async () => {
      const files = adapterFiles(7);
      const first = await registerAdapter(deps(), { ...input("rain"), config: files.config, weights: files.weights });
      const again = await registerAdapter(deps(), { ...input("rain"), config: files.config, weights: files.weights });
      expect(again).toEqual({ adapter: first.adapter, created: false });
      expect((await objectKeys(backends.store)).filter((k) => k.includes(first.adapter.id))).toHaveLength(1);
    });

    it("refuses the same bytes under the same name declared differently with a conflict naming each difference; nothing is stored", async () => {
      const files = adapterFiles(8);
      const first = await registerAdapter(deps(), { ...input("hail"), config: files.config, weights: files.weights, centroid: axis(4, 2), sampleCount: 3 });
      const config = { ...(JSON.parse(files.config) as Record<string, unknown>), lora_alpha: 99, task_type: "SEMANTIC_SEGMENTATION" };
      const again = (overrides: Partial<Parameters<typeof registerAdapter>[1]>) =>
        registerAdapter(deps(), { ...input("hail"), config: files.config, weights: files.weights, centroid: axis(4, 2), sampleCount: 3, ...overrides }).catch((error: RegistryError) => error);
      const conflict = (await again({ config: JSON.stringify(config), centroid: axis(4, 2, 0.5) })) as RegistryError;
      expect(conflict).toBeInstanceOf(RegistryError);
      expect([conflict.code, conflict.kind, conflict.message, conflict.details]).toEqual([
        "registry.conflict",
        "conflict",
        "adapter hail version 1 has these weights with a different config.lora_alpha, config.task_type, centroid: delete it first, or register these under another name",
        { rule: "conflict", adapterId: first.adapter.id, version: 1, sha256: first.adapter.sha256, differences: ["config.lora_alpha", "config.task_type", "centroid"] },
      ]);
      expect(((await again({ sampleCount: null })) as RegistryError).details.differences).toEqual(["sampleCount"]);
      // The same fields in another key order, with PEFT's defaults spelt out, are the same config.
      const reordered = Object.fromEntries(Object.entries({ ...(JSON.parse(files.config) as Record<string, unknown>), use_rslora: false }).reverse());
      expect(await again({ config: JSON.stringify(reordered) })).toEqual({ adapter: first.adapter, created: false });
      expect((await rows(backends.index, library)).filter((r) => r.name === "hail").map((r) => r.id)).toEqual([first.adapter.id]);
      expect((await objectKeys(backends.store)).filter((k) => k.includes(first.adapter.id))).toHaveLength(1);
    });

    it("versions a name: retrieval uses the newest active version, deleting it brings back the previous one", async () => {
      const v1 = (await registerAdapter(deps(), input("snow", { centroid: axis(4, 2) }))).adapter;
      const v2 = (await registerAdapter(deps(), input("snow", { centroid: axis(4, 2) }))).adapter;
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect((await backends.index.getAdapter(TENANT, v1.id))?.status).toBe("superseded");
      const hits = await backends.index.nearest(library.id, axis(4, 2), { k: 10 });
      expect(hits.filter((h) => h.name === "snow").map((h) => h.id)).toEqual([v2.id]);

      await deleteAdapter(deps(), TENANT, v2.id);
      expect(await backends.store.head(v2.objectKey)).toBeUndefined();
      expect(await backends.index.getAdapter(TENANT, v2.id)).toBeUndefined();
      expect((await backends.index.getAdapter(TENANT, v1.id))?.status).toBe("active");
    });

    it("deleting an unknown or another tenant's adapter is unknown-adapter", async () => {
      const { adapter } = await registerAdapter(deps(), input("night"));
      await expect(deleteAdapter(deps(), "tenant-b", adapter.id)).rejects.toMatchObject({ code: "registry.unknown-adapter" });
      await expect(deleteAdapter(deps(), TENANT, "00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "registry.unknown-adapter" });
    });

    describe("bad input leaves no row and no object", () => {
      const cases: Array<[string, () => Parameters<typeof registerAdapter>[1], string]> = [
        ["a centroid of the wrong dimension", () => input("bad", { centroid: new Float32Array(5) }), "registry.dimension-mismatch"],
        ["a NaN centroid", () => input("bad", { centroid: Float32Array.from([0, Number.NaN, 0, 0]) }), "registry.non-finite-centroid"],
        ["an unknown library", () => input("bad", { libraryId: "00000000-0000-4000-8000-000000000000" }), "registry.unknown-library"],
        ["another tenant's library", () => input("bad", { tenant: "tenant-b" }), "registry.unknown-library"],
        ["a path-like name", () => input("../etc"), "registry.invalid-name"],
        ["malformed safetensors", () => input("bad", { weights: new Uint8Array([1, 2, 3]) }), "safetensors.truncated"],
        ["a DoRA config", () => input("bad", { config: JSON.stringify({ ...JSON.parse(adapterFiles(1).config), use_dora: true }) }), "adapter.unsupported-kind"],
        ["another base model", () => ({ ...input("bad"), ...pick(adapterFiles(3, { baseModel: "other-model" })) }), "registry.base-model-mismatch"],
        [
          "a module shaped differently from the library's",
          () => ({
            ...input("bad"),
            ...pick(adapterFiles(4, { modules: [{ name: "sem_seg_head.predictor.clip_model.visual.transformer.resblocks.0.attn.q_proj", inFeatures: 16, outFeatures: 8 }] })),
          }),
          "registry.module-shape-mismatch",
        ],
      ];
      const pick = (files: { config: string; weights: Uint8Array }) => ({ config: files.config, weights: files.weights });

      for (const [what, make, code] of cases) {
        it(`${what} → ${code}`, async () => {
          const before = [await rows(backends.index, library), await objectKeys(backends.store)];
          await expect(registerAdapter(deps(), make())).rejects.toMatchObject({ code });
          expect([await rows(backends.index, library), await objectKeys(backends.store)]).toEqual(before);
        });
      }
    });

    describe("a failure at each step leaves no row and no object", () => {
      for (const [step, broken] of [
        ["inserting the pending row", () => ({ index: failing(backends.index, "insertPending"), store: backends.store })],
        ["writing the object", () => ({ index: backends.index, store: failing(backends.store, "put") })],
        ["activating the row", () => ({ index: failing(backends.index, "activate"), store: backends.store })],
      ] as const) {
        it(step, async () => {
          const before = [await rows(backends.index, library), await objectKeys(backends.store)];
          await expect(registerAdapter(broken(), input("crashy"))).rejects.toThrow(/injected failure/);
          expect([await rows(backends.index, library), await objectKeys(backends.store)]).toEqual(before);
        });
      }
    });

    it("a crash between object write and activation leaves a pending row that retrieval never sees, and the sweep removes it with its object", async () => {
      // The process "dies" in activate: the undo never runs either.
      const crashed = { index: failing(backends.index, "activate"), store: failing(backends.store, "delete") };
      const indexWithoutUndo = failing(crashed.index, "deleteAdapter");
      await expect(registerAdapter({ index: indexWithoutUndo, store: crashed.store }, input("halfway", { centroid: axis(4, 3) }))).rejects.toThrow(/injected failure/);
      const later = new Date(Date.now() + 60 * 60_000);
      const pending = (await backends.index.stalePending(later)).filter((r) => r.name === "halfway");
      expect(pending.map((r) => r.status)).toEqual(["pending"]);
      // Not an adapter: never listed.
      expect((await rows(backends.index, library)).some((r) => r.name === "halfway")).toBe(false);
      expect(await backends.store.head(pending[0]!.objectKey)).toBeDefined();
      expect((await backends.index.nearest(library.id, axis(4, 3), { k: 100 })).some((h) => h.name === "halfway")).toBe(false);

      // Not stale yet: the sweep spares it (an upload may still be in flight).
      expect(await sweep(deps())).toEqual({ pendingRemoved: 0, orphansRemoved: 0 });
      const report = await sweep(deps(), { now: later });
      expect(report.pendingRemoved).toBe(1);
      expect((await backends.index.stalePending(later)).some((r) => r.name === "halfway")).toBe(false);
      expect(await backends.store.head(pending[0]!.objectKey)).toBeUndefined();
    });

    it("the sweep removes orphan objects (no row) once old enough, and keeps every referenced object", async () => {
      const { adapter } = await registerAdapter(deps(), input("keep"));
      const orphan = `adapters/${library.id}/11111111-1111-4111-8111-111111111111/v1/${"0".repeat(64)}.safetensors`;
      await backends.store.put(orphan, new Uint8Array([1, 2, 3]));
      expect((await sweep(deps())).orphansRemoved).toBe(0);
      expect((await sweep(deps(), { now: new Date(Date.now() + 60 * 60_000) })).orphansRemoved).toBe(1);
      expect(await backends.store.head(orphan)).toBeUndefined();
      expect(await backends.store.head(adapter.objectKey)).toBeDefined();
    });
  });
}
