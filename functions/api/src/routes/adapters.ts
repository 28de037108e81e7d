import { createRoute, z } from "@hono/zod-openapi";
import { LIMITS, peft, storableJson, text } from "@semla/core";
import { checkAdapterName, deleteAdapter, RegistryError, registerAdapter, requireLibrary } from "@semla/registry";
import type { ApiDeps } from "../http/env.js";
import { AUTH, backendErrorResponses, errorResponses, UuidParam } from "../http/openapi.js";
import { newRouter } from "../http/router.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { AdapterSchema, adapterView, RegisteredSchema } from "./adapter-view.js";
import { type CentroidOfImages, centroidFrom } from "./centroid-input.js";

const file = z.instanceof(File).openapi({ type: "string", format: "binary" });

/**
 * Both ways in answer alike: 201 for a new version, 200 when the same bytes were already registered
 * as declared, 409 (registry.conflict, naming each difference) when declared with another config,
 * centroid or sample count.
 */
const REGISTERED = {
  201: { description: "Registered", content: { "application/json": { schema: RegisteredSchema } } },
  200: { description: "The same bytes were already registered under this name, with the same config and centroid", content: { "application/json": { schema: RegisteredSchema } } },
};

const spreadSchema = (number: z.ZodNumber) =>
  number
    .nonnegative()
    .max(LIMITS.spread)
    .describe("With a centroid: the 95th percentile of the training images' distances to it, in the library's metric (calibrates out-of-library detection; sample images give their own)");

const NewAdapterFormSchema = z
  .object({
    libraryId: text(),
    name: text().describe("Domain name, e.g. fog+night; a new upload under an existing name is its next version"),
    config: z.union([file, text()]).describe("adapter_config.json (PEFT LoRA)"),
    weights: file.describe("adapter_model.safetensors"),
    centroid: z.union([file, text()]).optional().describe("CLIP centroid: .npy, .npz (SemLA statistics) or a JSON array"),
    images: z
      .union([file, z.array(file).max(LIMITS.sampleImages)])
      .optional()
      .describe(`Sample images of the domain (at most ${LIMITS.sampleImages}), to compute the centroid from instead`),
    spread: spreadSchema(z.coerce.number()).optional(),
  })
  .openapi("NewAdapterForm");

const create = createRoute({
  method: "post",
  path: "/v1/adapters",
  operationId: "registerAdapter",
  summary: "Register an adapter (multipart)",
  tags: ["adapters"],
  security: AUTH,
  description: "Registers an adapter whose files fit in the request (all or nothing). Larger ones: POST /v1/adapters/uploads.",
  request: { body: { required: true, content: { "multipart/form-data": { schema: NewAdapterFormSchema } } } },
  responses: {
    ...REGISTERED,
    ...backendErrorResponses(400, 401, 404, 409, 413, 415),
  },
});

const ListQuerySchema = z.object({
  libraryId: text().optional(),
  name: text().optional(),
  // Pending rows are uploads in progress (or left by a crash, for the sweep): never listed as adapters.
  status: z.enum(["active", "superseded"]).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.listPage).default(50),
  cursor: text().optional(),
});

const list = createRoute({
  method: "get",
  path: "/v1/adapters",
  operationId: "listAdapters",
  summary: "List adapters",
  tags: ["adapters"],
  security: AUTH,
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: "Newest first; pass nextCursor back as cursor",
      content: { "application/json": { schema: z.object({ items: z.array(AdapterSchema), nextCursor: z.string().nullable() }).openapi("AdapterPage") } },
    },
    ...errorResponses(400, 401),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/adapters/{id}",
  operationId: "getAdapter",
  summary: "Get an adapter",
  tags: ["adapters"],
  security: AUTH,
  request: { params: UuidParam },
  responses: { 200: { description: "The adapter", content: { "application/json": { schema: AdapterSchema } } }, ...errorResponses(401, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/adapters/{id}",
  operationId: "deleteAdapter",
  summary: "Delete an adapter",
  tags: ["adapters"],
  security: AUTH,
  request: { params: UuidParam },
  responses: { 204: { description: "Deleted (row, then object)" }, ...errorResponses(401, 404) },
});

const NewUploadSchema = z
  .strictObject({
    libraryId: text(),
    name: text(),
    config: storableJson(z.record(text(), z.unknown())).describe("adapter_config.json as an object"),
    centroid: z.array(z.number()).max(LIMITS.dimension).describe("CLIP centroid of the adapter's training images"),
    weightsBytes: z.number().int().positive().max(LIMITS.adapterUploadBytes).describe("Exact size of adapter_model.safetensors (the URL is signed for it)"),
    sampleCount: z.number().int().positive().max(LIMITS.sampleCount).optional(),
    spread: spreadSchema(z.number()).optional(),
  })
  .openapi("NewAdapterUpload");

export const UploadGrantSchema = z
  .object({
    uploadId: z.string(),
    upload: z.object({ url: z.string(), method: z.literal("PUT"), headers: z.record(z.string(), z.string()), expiresAt: z.string() }),
  })
  .openapi("UploadGrant");

const beginUpload = createRoute({
  method: "post",
  path: "/v1/adapters/uploads",
  operationId: "beginAdapterUpload",
  summary: "Begin a presigned adapter upload",
  tags: ["adapters"],
  security: AUTH,
  description: "For adapters over the request limit: PUT the weights to the returned URL, then complete.",
  request: { body: { required: true, content: { "application/json": { schema: NewUploadSchema } } } },
  responses: { 201: { description: "Presigned PUT for the weights", content: { "application/json": { schema: UploadGrantSchema } } }, ...errorResponses(400, 401, 404, 413) },
});

const completeUpload = createRoute({
  method: "post",
  path: "/v1/adapters/uploads/{id}/complete",
  operationId: "completeAdapterUpload",
  summary: "Complete a presigned adapter upload",
  tags: ["adapters"],
  security: AUTH,
  request: { params: UuidParam },
  responses: {
    ...REGISTERED,
    ...errorResponses(400, 401, 404, 409),
  },
});

export function grantView(grant: { uploadId: string; upload: { url: string; method: "PUT"; headers: Readonly<Record<string, string>>; expiresAt: Date } }) {
  return { uploadId: grant.uploadId, upload: { ...grant.upload, headers: { ...grant.upload.headers }, expiresAt: grant.upload.expiresAt.toISOString() } };
}

export function adaptersRoutes(deps: ApiDeps & { uploads: UploadStore; centroidOfImages?: CentroidOfImages }) {
  const registry = { index: deps.index, store: deps.store, ...(deps.baseModelModules && { baseModelModules: deps.baseModelModules }) };

  return newRouter()
    .openapi(create, async (c) => {
      const form = c.req.valid("form");
      const tenant = c.get("tenant");
      const lib = await requireLibrary(deps.index, tenant, form.libraryId);
      // The config (size, nesting, schema, patterns) is checked before images are embedded or anything stored.
      const config = peft.parsePeftConfig(typeof form.config === "string" ? form.config : new Uint8Array(await form.config.arrayBuffer()));
      const images = form.images === undefined ? [] : Array.isArray(form.images) ? form.images : [form.images];
      const { centroid, sampleCount, spread } = await centroidFrom({ centroid: form.centroid, images, spread: form.spread }, lib, deps.centroidOfImages);
      const weights = new Uint8Array(await form.weights.arrayBuffer());
      const result = await registerAdapter(registry, { tenant, libraryId: lib.id, name: form.name, config, weights, centroid, sampleCount, spread });
      const body = { adapter: adapterView(result.adapter), created: result.created };
      return result.created ? c.json(body, 201) : c.json(body, 200);
    })
    .openapi(list, async (c) => {
      const query = c.req.valid("query");
      const page = await deps.index.listAdapters(c.get("tenant"), {
        limit: query.limit,
        ...(query.libraryId ? { libraryId: query.libraryId } : {}),
        ...(query.name ? { name: query.name } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return c.json({ items: page.items.map(adapterView), nextCursor: page.nextCursor ?? null }, 200);
    })
    .openapi(get, async (c) => {
      const { id } = c.req.valid("param");
      const record = await deps.index.getAdapter(c.get("tenant"), id);
      if (!record) throw new RegistryError("unknown-adapter", `adapter ${id} does not exist`, { adapterId: id });
      return c.json(adapterView(record), 200);
    })
    .openapi(remove, async (c) => {
      await deleteAdapter(registry, c.get("tenant"), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(beginUpload, async (c) => {
      const body = c.req.valid("json");
      const tenant = c.get("tenant");
      const lib = await requireLibrary(deps.index, tenant, body.libraryId);
      // Everything that can be checked before the bytes arrive is checked now, not after a long upload.
      checkAdapterName(body.name);
      // The same check as a direct upload's: a config the registry would refuse gets no upload URL.
      peft.parsePeftConfig(body.config);
      const { centroid, spread } = await centroidFrom({ centroid: body.centroid, images: [], spread: body.spread }, lib, undefined);
      const grant = await deps.uploads.begin(
        tenant,
        "adapter",
        body.weightsBytes,
        { libraryId: lib.id, name: body.name, config: body.config, centroid: [...centroid], sampleCount: body.sampleCount ?? null, spread },
        "application/octet-stream",
      );
      return c.json(grantView(grant), 201);
    })
    .openapi(completeUpload, async (c) => {
      const { id } = c.req.valid("param");
      const tenant = c.get("tenant");
      const { manifest, file: weights } = await deps.uploads.open(tenant, "adapter", id);
      const declared = DeclaredAdapterSchema.parse(manifest.declared);
      try {
        const result = await registerAdapter(registry, {
          tenant,
          libraryId: declared.libraryId,
          name: declared.name,
          config: JSON.stringify(declared.config),
          weights,
          centroid: Float32Array.from(declared.centroid),
          sampleCount: declared.sampleCount,
          spread: declared.spread,
        });
        const body = { adapter: adapterView(result.adapter), created: result.created };
        return result.created ? c.json(body, 201) : c.json(body, 200);
      } finally {
        // Registered or refused, the upload is used up: its bytes are either in adapters/ now or bad.
        await deps.uploads.discard(id);
      }
    });
}

const DeclaredAdapterSchema = z.object({
  libraryId: z.string(),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
  centroid: z.array(z.number()),
  sampleCount: z.number().int().nullable(),
  // Uploads begun before spreads were recorded have none.
  spread: z.number().nullable().default(null),
});
