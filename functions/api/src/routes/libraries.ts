import { createRoute, z } from "@hono/zod-openapi";
import { coverage, LIMITS, routing, text } from "@semla/core";
import { deleteLibrary, type LibraryRecord, requireLibrary } from "@semla/registry";
import type { ApiDeps } from "../http/env.js";
import { AUTH, errorResponses, UuidParam } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

export const NewLibrarySchema = z
  .strictObject({
    name: text().min(1).max(LIMITS.libraryName).describe("Unique among the tenant's libraries"),
    baseModelId: text().min(1).max(LIMITS.modelId).describe("The segmentation model the adapters were trained on"),
    embeddingModelId: text().min(1).max(LIMITS.modelId).describe("The CLIP image encoder of the centroids"),
    dimension: z.number().int().min(1).max(LIMITS.dimension).describe("Embedding (centroid) dimension"),
    metric: routing.MetricSchema.default("euclidean"),
    coveragePolicy: coverage.CoveragePolicySchema.default("fuse"),
  })
  .openapi("NewLibrary");

export const LibraryChangesSchema = z
  .strictObject({
    name: NewLibrarySchema.shape.name.optional(),
    baseModelId: NewLibrarySchema.shape.baseModelId.optional().describe("The segmentation model; changes only while the library holds no adapter (else 409)"),
    embeddingModelId: NewLibrarySchema.shape.embeddingModelId.optional().describe("The CLIP image encoder; changes only while the library holds no adapter (else 409)"),
    coveragePolicy: coverage.CoveragePolicySchema.optional(),
  })
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), { message: "give at least one of name, baseModelId, embeddingModelId, coveragePolicy" })
  .openapi("LibraryChanges");

export const LibrarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    baseModelId: z.string(),
    embeddingModelId: z.string(),
    dimension: z.number().int(),
    metric: routing.MetricSchema,
    moduleShapes: z.record(z.string(), z.tuple([z.number().int(), z.number().int()])).describe("[out, in] of each adapted module"),
    coveragePolicy: coverage.CoveragePolicySchema,
    generation: z.number().int().describe("Bumped by every change to the library's active adapters"),
    calibration: coverage.LibraryCalibrationSchema.extend({ generation: z.number().int() })
      .nullable()
      .describe("Out-of-library detection as last computed (at its generation; recomputed by the next route or segment when the library's has moved on); null until then"),
    createdAt: z.string().describe("ISO 8601"),
  })
  .openapi("Library");
export type Library = z.infer<typeof LibrarySchema>;

export function libraryView(record: LibraryRecord): Library {
  return {
    id: record.id,
    name: record.name,
    baseModelId: record.baseModelId,
    embeddingModelId: record.embeddingModelId,
    dimension: record.dimension,
    metric: record.metric,
    moduleShapes: Object.fromEntries(Object.entries(record.moduleShapes).map(([k, [out, inFeatures]]) => [k, [out, inFeatures] as [number, number]])),
    coveragePolicy: record.coveragePolicy,
    generation: record.generation,
    calibration: record.calibration,
    createdAt: record.createdAt.toISOString(),
  };
}

const create = createRoute({
  method: "post",
  path: "/v1/libraries",
  operationId: "createLibrary",
  summary: "Create an adapter library",
  tags: ["libraries"],
  security: AUTH,
  request: { body: { required: true, content: { "application/json": { schema: NewLibrarySchema } } } },
  responses: { 201: { description: "Created", content: { "application/json": { schema: LibrarySchema } } }, ...errorResponses(400, 401, 409, 413) },
});

const list = createRoute({
  method: "get",
  path: "/v1/libraries",
  operationId: "listLibraries",
  summary: "List adapter libraries",
  tags: ["libraries"],
  security: AUTH,
  responses: { 200: { description: "The tenant's libraries, oldest first", content: { "application/json": { schema: z.object({ items: z.array(LibrarySchema) }) } } }, ...errorResponses(401) },
});

const get = createRoute({
  method: "get",
  path: "/v1/libraries/{id}",
  operationId: "getLibrary",
  summary: "Get an adapter library",
  tags: ["libraries"],
  security: AUTH,
  request: { params: UuidParam },
  responses: { 200: { description: "The library", content: { "application/json": { schema: LibrarySchema } } }, ...errorResponses(401, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/v1/libraries/{id}",
  operationId: "updateLibrary",
  summary: "Update an adapter library",
  tags: ["libraries"],
  security: AUTH,
  description: "Renames a library, sets its coverage policy, or corrects its model ids (those only while it holds no adapter: 409 registry.library-not-empty). Dimension and metric never change.",
  request: { params: UuidParam, body: { required: true, content: { "application/json": { schema: LibraryChangesSchema } } } },
  responses: { 200: { description: "The library as changed", content: { "application/json": { schema: LibrarySchema } } }, ...errorResponses(400, 401, 404, 409, 413) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/libraries/{id}",
  operationId: "deleteLibrary",
  summary: "Delete an adapter library",
  tags: ["libraries"],
  security: AUTH,
  description: "Removes a library. One holding adapters is refused (409 registry.library-not-empty) unless cascade=true: then its adapters go with it, and their objects once no row references them.",
  request: {
    params: UuidParam,
    query: z.object({ cascade: z.enum(["true", "false"]).default("false").describe("Also remove the library's adapters and their objects") }),
  },
  responses: { 204: { description: "Deleted (rows, then objects)" }, ...errorResponses(400, 401, 404, 409) },
});

export function librariesRoutes(deps: ApiDeps) {
  return newRouter()
    .openapi(create, async (c) => {
      const body = c.req.valid("json");
      const record = await deps.index.createLibrary({ ...body, tenant: c.get("tenant") });
      return c.json(libraryView(record), 201);
    })
    .openapi(list, async (c) => c.json({ items: (await deps.index.listLibraries(c.get("tenant"))).map(libraryView) }, 200))
    .openapi(get, async (c) => {
      const { id } = c.req.valid("param");
      const record = await requireLibrary(deps.index, c.get("tenant"), id);
      return c.json(libraryView(record), 200);
    })
    .openapi(update, async (c) => {
      const record = await deps.index.updateLibrary(c.get("tenant"), c.req.valid("param").id, c.req.valid("json"));
      return c.json(libraryView(record), 200);
    })
    .openapi(remove, async (c) => {
      await deleteLibrary({ index: deps.index, store: deps.store }, c.get("tenant"), c.req.valid("param").id, { cascade: c.req.valid("query").cascade === "true" });
      return c.body(null, 204);
    });
}
