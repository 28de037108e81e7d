import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type E2eStack, startE2eStack } from "../testing/e2e-harness.js";
import { adapterForm, axis, BASE_MODEL, noisePng, tinyAdapterFiles } from "../testing/fixtures.js";

type Json = Record<string, unknown>;

/**
 * Out-of-library detection through the real HTTP API (PostgreSQL + pgvector, s3rver, the reference
 * endpoint). Centroids on the axes make every distance exact by hand.
 */
describe("coverage: out-of-library detection and its policies", () => {
  let stack: E2eStack;
  let key: string;
  let dimension: number;
  let libraryId: string;
  const ids: Record<string, string> = {};
  const call = async (method: string, path: string, body?: unknown): Promise<[number, Json]> => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return [response.status, (text === "" ? {} : JSON.parse(text)) as Json];
  };
  const upload = async (library: string, name: string, seed: number, fields: { centroid?: number[]; spread?: number; images?: { name: string; bytes: Uint8Array }[] }) => {
    const form = adapterForm({
      libraryId: library,
      name,
      files: tinyAdapterFiles(stack.models, seed),
      ...(fields.centroid && { centroid: JSON.stringify(fields.centroid) }),
      ...(fields.images && { images: fields.images }),
    });
    if (fields.spread !== undefined) form.set("spread", String(fields.spread));
    const response = await fetch(`${stack.url}/v1/adapters`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(201);
    return (body.adapter as { id: string; spread: number | null }) ?? null;
  };
  /** 0.9 on axis 1: 0.1 from fog; √(0.81 + 1) from the others. */
  const nearFog = () => axis(dimension, 1).map((x) => x * 0.9);
  /** Axis 0: √2 from every centroid. */
  const nowhere = () => axis(dimension, 0);

  beforeAll(async () => {
    stack = await startE2eStack({ postgresUrl: inject("postgresUrl"), s3Endpoint: inject("s3Endpoint") });
    ({ key } = await stack.tenant());
    dimension = stack.models.imageEncoder.dimension;
    const [status, library] = await call("POST", "/v1/libraries", { name: "coverage", baseModelId: BASE_MODEL, embeddingModelId: stack.models.imageEncoder.id, dimension });
    expect(status).toBe(201);
    libraryId = library.id as string;
    // Radii: fog 1.25 × 0.2 = 0.25, rain 1.25 × 0.4 = 0.5, snow (no spread) 1.25 × median(0.2, 0.4) = 0.375.
    ids.fog = (await upload(libraryId, "fog", 1, { centroid: axis(dimension, 1), spread: 0.2 })).id;
    ids.rain = (await upload(libraryId, "rain", 2, { centroid: axis(dimension, 2), spread: 0.4 })).id;
    ids.snow = (await upload(libraryId, "snow", 3, { centroid: axis(dimension, 3) })).id;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("a new library is uncalibrated and fuses whatever it is asked; adapters record their spread", async () => {
    const [, library] = await call("GET", `/v1/libraries/${libraryId}`);
    expect(library).toMatchObject({ coveragePolicy: "fuse", generation: 3, calibration: null });
    const [, adapter] = await call("GET", `/v1/adapters/${ids.fog}`);
    expect(adapter.spread).toBe(0.2);
  });

  it("route: an embedding inside fog's radius is in-library, named by the adapter that covers it", async () => {
    const [status, body] = await call("POST", "/v1/route", { libraryId, embedding: nearFog() });
    expect(status).toBe(200);
    const coverage = body.coverage as Json;
    expect(coverage).toMatchObject({ status: "in-library", adapterId: ids.fog, threshold: 0.25, policy: "fuse", fallback: false });
    expect(coverage.nearestDistance).toBeCloseTo(0.1, 6);
    expect(coverage.score).toBeCloseTo(0.4, 5);
  });

  it("the first routed request calibrates the library at its generation, and stores it", async () => {
    const [, library] = await call("GET", `/v1/libraries/${libraryId}`);
    expect(library.calibration).toEqual({
      version: 1,
      generation: 3,
      adapters: 3,
      withSpread: 2,
      measured: 3,
      basis: "partial-samples",
      margin: 1.25,
      spacing: { median: Math.SQRT2, max: Math.SQRT2 },
      spreadMedian: expect.closeTo(0.3, 12),
      defaultRadius: expect.closeTo(0.375, 12),
    });
  });

  it("route: √2 from every centroid is out-of-library; rain's wider ball covers it best (√2 / 0.5)", async () => {
    const [, body] = await call("POST", "/v1/route", { libraryId, embedding: nowhere() });
    const coverage = body.coverage as Json;
    expect(coverage).toMatchObject({ status: "out-of-library", adapterId: ids.rain, threshold: 0.5, policy: "fuse", fallback: false });
    expect(coverage.nearestDistance).toBeCloseTo(Math.SQRT2, 6);
    expect(coverage.score).toBeCloseTo(2 * Math.SQRT2, 5);
    // fuse (the default) still plans the k nearest, as SemLA does.
    expect((body.plan as { adapters: unknown[] }).adapters).toHaveLength(3);
  });

  it("the refuse policy answers 422 pipeline.out-of-library with the coverage, and lets in-library queries through", async () => {
    const [status, body] = await call("POST", "/v1/route", { libraryId, embedding: nowhere(), options: { coverage: "refuse" } });
    expect(status).toBe(422);
    const error = body.error as { code: string; message: string; details: { coverage: Json } };
    expect(error.code).toBe("pipeline.out-of-library");
    expect(error.message).toMatch(/outside library coverage's coverage: its best-covering adapter is 2\.83× its calibrated radius away/);
    expect(error.details.coverage).toMatchObject({ status: "out-of-library", adapterId: ids.rain, policy: "refuse" });
    const [inside] = await call("POST", "/v1/route", { libraryId, embedding: nearFog(), options: { coverage: "refuse" } });
    expect(inside).toBe(200);
  });

  it("an unknown policy is a 400 naming the field", async () => {
    const [status, body] = await call("POST", "/v1/route", { libraryId, embedding: nearFog(), options: { coverage: "maybe" } });
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toMatch(/coverage/);
  });

  it("a change to the active adapters moves the generation; the next request recalibrates", async () => {
    const hail = await upload(libraryId, "hail", 4, { centroid: axis(dimension, 4), spread: 0.6 });
    let [, library] = await call("GET", `/v1/libraries/${libraryId}`);
    expect(library.generation).toBe(4);
    expect((library.calibration as Json).generation).toBe(3);
    await call("POST", "/v1/route", { libraryId, embedding: nearFog() });
    [, library] = await call("GET", `/v1/libraries/${libraryId}`);
    expect(library.calibration).toMatchObject({ generation: 4, adapters: 4, withSpread: 3, spreadMedian: 0.4, defaultRadius: 0.5 });
    const [status] = await call("DELETE", `/v1/adapters/${hail.id}`);
    expect(status).toBe(204);
    [, library] = await call("GET", `/v1/libraries/${libraryId}`);
    expect(library.generation).toBe(5);
  });

  describe("segment", () => {
    let zeroshotLibrary: string;
    let image: Uint8Array;

    beforeAll(async () => {
      image = await noisePng(32, 32, 5);
      // A library whose default policy is zeroshot, with one adapter computed from this very image
      // (spread 0: the ball is the centroid) and one far away on an axis.
      const [status, library] = await call("POST", "/v1/libraries", {
        name: "coverage-zeroshot",
        baseModelId: BASE_MODEL,
        embeddingModelId: stack.models.imageEncoder.id,
        dimension,
        coveragePolicy: "zeroshot",
      });
      expect(status).toBe(201);
      expect(library.coveragePolicy).toBe("zeroshot");
      zeroshotLibrary = library.id as string;
      const own = await upload(zeroshotLibrary, "own", 5, { images: [{ name: "a.png", bytes: image }] });
      expect(own.spread).toBe(0);
      await upload(zeroshotLibrary, "far", 6, { centroid: axis(dimension, 0), spread: 0.01 });
    }, 60_000);

    const segment = (library: string, bytes: Uint8Array, options: Json = {}) =>
      call("POST", "/v1/segment", { libraryId: library, image: Buffer.from(bytes).toString("base64"), classNames: ["sky", "road"], options });

    it("an in-library image is fused as usual, with its coverage", async () => {
      const [status, body] = await segment(zeroshotLibrary, image);
      expect(status).toBe(200);
      expect(body.coverage).toMatchObject({ status: "in-library", score: 0, policy: "zeroshot", fallback: false });
      expect(body.plan).not.toBeNull();
      expect((body.contributions as unknown[]).length).toBe(2);
    });

    it("the library's zeroshot policy serves an out-of-library image with the base model, and says so", async () => {
      const [status, body] = await segment(zeroshotLibrary, await noisePng(32, 32, 99));
      expect(status).toBe(200);
      expect(body.coverage).toMatchObject({ status: "out-of-library", policy: "zeroshot", fallback: true });
      expect(body).toMatchObject({ mode: "semla", plan: null, contributions: [], fusion: null });
      // The request's policy overrides the library's.
      const [, fused] = await segment(zeroshotLibrary, await noisePng(32, 32, 99), { coverage: "fuse" });
      expect(fused.coverage).toMatchObject({ status: "out-of-library", policy: "fuse", fallback: false });
      expect((fused.contributions as unknown[]).length).toBe(2);
    });

    it("modes that do not route carry no coverage", async () => {
      const [, zeroshot] = await segment(zeroshotLibrary, image, { mode: "zeroshot" });
      expect(zeroshot.coverage).toBeNull();
      const [, oracle] = await segment(zeroshotLibrary, image, { mode: "adapter", adapter: "own" });
      expect(oracle.coverage).toBeNull();
    });
  });
});
