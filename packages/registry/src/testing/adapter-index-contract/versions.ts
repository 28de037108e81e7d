// Part of the AdapterIndex contract (index.ts): the life of an adapter's versions (insertPending, activate,
// deleteAdapter).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { DrizzleAdapterIndex } from "../../db/drizzle-index.js";
import { addActive, newAdapter, rejection } from "../fixtures.js";
import { type ContractSuite, ids } from "./suite.js";

export function describeVersions(suite: ContractSuite): void {
  let index: DrizzleAdapterIndex;
  beforeAll(() => {
    ({ index } = suite);
  });
  const { library } = suite;

  describe("insertPending", () => {
    it("stores a pending row with version 1 and the object key of that version", async () => {
      const lib = await library();
      const input = newAdapter(lib.id, "fog", [0.1, -2.5, 1e-7, 3.4e38], { byteSize: 5_000_000_000 });
      const row = await index.insertPending(input);
      expect(row).toEqual({
        id: input.id,
        libraryId: lib.id,
        name: "fog",
        version: 1,
        status: "pending",
        rank: 4,
        alpha: 8,
        targetModules: ["q_proj", "v_proj"],
        moduleShapes: { "layers.0.q_proj": [16, 16] },
        config: input.config,
        objectKey: input.objectKey(1),
        byteSize: 5_000_000_000,
        sha256: input.sha256,
        centroid: Float32Array.from([0.1, -2.5, 1e-7, 3.4e38]),
        sampleCount: 12,
        spread: null,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      });
      expect(row.centroid).toBeInstanceOf(Float32Array);
      expect(await index.getAdapter(lib.tenant, row.id)).toEqual(row);
    });

    it("numbers the versions of one name 1, 2, 3, and other names from 1", async () => {
      const lib = await library();
      const versions = [];
      for (let i = 0; i < 3; i++) versions.push((await index.insertPending(newAdapter(lib.id, "fog", [i, 0, 0, 0]))).version);
      expect(versions).toEqual([1, 2, 3]);
      expect((await index.insertPending(newAdapter(lib.id, "night", [0, 0, 0, 0]))).version).toBe(1);
    });

    it("gives five concurrent uploads of one name the versions 1..5 exactly", async () => {
      const lib = await library();
      const rows = await Promise.all(Array.from({ length: 5 }, (_, i) => index.insertPending(newAdapter(lib.id, "rain", [i, 0, 0, 0]))));
      expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(rows.map((r) => r.objectKey)).size).toBe(5);
    });

    it("refuses an unknown library with unknown-library", async () => {
      for (const libraryId of [randomUUID(), "not-a-uuid"]) {
        const error = await rejection(index.insertPending(newAdapter(libraryId, "fog", [0, 0, 0, 0])));
        expect(error.code).toBe("registry.unknown-library");
        expect(error.message).toBe(`library ${libraryId} does not exist`);
      }
    });

    it("refuses a centroid of the wrong dimension, naming both dimensions", async () => {
      const lib = await library({ dimension: 4 });
      const error = await rejection(index.insertPending(newAdapter(lib.id, "fog", [1, 2, 3])));
      expect(error.code).toBe("registry.dimension-mismatch");
      expect(error.message).toBe(`centroid has dimension 3 but library ${lib.id} has dimension 4`);
      expect(error.details).toMatchObject({ expected: 4, actual: 3 });
    });

    it("refuses NaN and ±Infinity with non-finite-centroid, and nothing is stored", async () => {
      const lib = await library();
      const nan = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, Number.NaN, 0, 0])));
      expect(nan.code).toBe("registry.non-finite-centroid");
      expect(nan.message).toBe("centroid has a non-finite value NaN at index 1");
      const inf = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, -Infinity])));
      expect(inf.code).toBe("registry.non-finite-centroid");
      expect((await index.listAdapters(lib.tenant, { limit: 10 })).items).toEqual([]);
    });

    it("refuses a zero centroid in a cosine library, whose direction is undefined", async () => {
      const lib = await library({ metric: "cosine" });
      const error = await rejection(index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0])));
      expect(error.code).toBe("registry.invalid-centroid");
    });
  });

  describe("activate", () => {
    it("makes the newest version active and supersedes the older ones: nearest sees only it", async () => {
      const lib = await library({ dimension: 2 });
      const v1 = await addActive(index, lib, "fog", [0, 0]);
      const v2 = await addActive(index, lib, "fog", [0.5, 0]);
      const v3 = await addActive(index, lib, "fog", [1, 0]);
      expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
      expect(v3.status).toBe("active");
      const statuses = await Promise.all([v1, v2, v3].map((a) => index.getAdapter(lib.tenant, a.id)));
      expect(statuses.map((a) => a?.status)).toEqual(["superseded", "superseded", "active"]);
      const found = await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 5 });
      expect(found).toEqual([{ id: v3.id, name: "fog", version: 3, distance: 1 }]);
    });

    it("an older upload that finishes last does not displace the newer active version", async () => {
      const lib = await library({ dimension: 2 });
      const p1 = await index.insertPending(newAdapter(lib.id, "fog", [0, 0]));
      const p2 = await index.insertPending(newAdapter(lib.id, "fog", [1, 0]));
      expect((await index.activate(p2.id)).status).toBe("active");
      expect((await index.activate(p1.id)).status).toBe("superseded");
      expect(ids(await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 5 }))).toEqual([p2.id]);
    });

    it("is idempotent, and refuses an unknown adapter with unknown-adapter", async () => {
      const lib = await library();
      const active = await addActive(index, lib, "fog", [0, 0, 0, 0]);
      expect(await index.activate(active.id)).toEqual(active);
      for (const id of [randomUUID(), "nope"]) {
        const error = await rejection(index.activate(id));
        expect(error.code).toBe("registry.unknown-adapter");
      }
    });

    it("joins the adapter's module shapes to the library's, refusing a conflicting shape", async () => {
      const lib = await library();
      await addActive(index, lib, "fog", [0, 0, 0, 0], { moduleShapes: { q: [16, 8] } });
      await addActive(index, lib, "rain", [0, 0, 0, 0], { moduleShapes: { q: [16, 8], v: [4, 4] } });
      expect((await index.getLibrary(lib.tenant, lib.id))?.moduleShapes).toEqual({ q: [16, 8], v: [4, 4] });
      const odd = await index.insertPending(newAdapter(lib.id, "snow", [0, 0, 0, 0], { moduleShapes: { q: [8, 8] } }));
      const error = await rejection(index.activate(odd.id));
      expect(error.code).toBe("registry.module-shape-mismatch");
      expect(error.message).toBe(`adapter ${odd.id} has module q with shape [8, 8] but the library has [16, 8]`);
      expect((await index.getAdapter(lib.tenant, odd.id))?.status).toBe("pending");
      expect((await index.getLibrary(lib.tenant, lib.id))?.moduleShapes).toEqual({ q: [16, 8], v: [4, 4] });
    });
  });

  describe("deleteAdapter", () => {
    it("removing the active version makes the newest superseded version active again", async () => {
      const lib = await library({ dimension: 2 });
      const v1 = await addActive(index, lib, "fog", [3, 0]);
      const v2 = await addActive(index, lib, "fog", [2, 0]);
      const v3 = await addActive(index, lib, "fog", [1, 0]);
      const removed = await index.deleteAdapter(v3.id);
      expect(removed).toMatchObject({ id: v3.id, status: "active", objectKey: v3.objectKey });
      expect(await index.getAdapter(lib.tenant, v3.id)).toBeUndefined();
      expect((await index.getAdapter(lib.tenant, v2.id))?.status).toBe("active");
      expect((await index.getAdapter(lib.tenant, v1.id))?.status).toBe("superseded");
      expect(await index.nearest(lib.id, Float32Array.from([0, 0]), { k: 3 })).toEqual([{ id: v2.id, name: "fog", version: 2, distance: 2 }]);
    });

    it("removing a superseded or pending version changes nothing else", async () => {
      const lib = await library();
      const v1 = await addActive(index, lib, "fog", [0, 0, 0, 0]);
      const v2 = await addActive(index, lib, "fog", [0, 0, 0, 0]);
      const v3 = await index.insertPending(newAdapter(lib.id, "fog", [0, 0, 0, 0]));
      expect((await index.deleteAdapter(v1.id))?.status).toBe("superseded");
      expect((await index.deleteAdapter(v3.id))?.status).toBe("pending");
      expect((await index.getAdapter(lib.tenant, v2.id))?.status).toBe("active");
    });

    it("returns undefined for an unknown id", async () => {
      expect(await index.deleteAdapter(randomUUID())).toBeUndefined();
      expect(await index.deleteAdapter("nope")).toBeUndefined();
    });
  });
}
