import { createRoute, z } from "@hono/zod-openapi";
import { LIMITS, routing, text } from "@semla/core";
import { ClassNamesSchema } from "@semla/inference";
import { type Contribution, CoverageAnswerSchema, type Pipeline, RouteOptionsSchema, SegmentOptionsSchema } from "@semla/pipeline";
import type { ApiDeps } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { AUTH, backendErrorResponses } from "../http/openapi.js";
import { newRouter } from "../http/router.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { ImageInputShape, readImageInput, usingImage } from "./image-input.js";

const Timings = z.record(z.string(), z.number()).describe("Milliseconds per stage");

const ContributionSchema = z
  .object({
    adapterId: z.string(),
    name: z.string(),
    version: z.number().int(),
    rank: z.number().int(),
    distance: z.number().nullable(),
    similarity: z.number().nullable(),
    weight: z.number(),
  })
  .openapi("Contribution");

// Core's schema, used as it is (zod v4 adds .openapi() only to schemas made after @hono/zod-openapi is loaded).
const PlanSchema = routing.FusionPlanSchema;

const embed = createRoute({
  method: "post",
  path: "/v1/embed",
  operationId: "embed",
  summary: "Embed an image (L2-normalised CLIP image embedding)",
  tags: ["inference"],
  security: AUTH,
  request: { body: { required: true, content: { "application/json": { schema: z.strictObject(ImageInputShape).openapi("EmbedRequest") } } } },
  responses: {
    200: {
      description:
        "The image's CLIP embedding: the image encoder's image_embeds, L2-normalised (unit length, as routing compares them; a model pack whose manifest sets imageEncoder normalize: false serves the raw projection)",
      content: {
        "application/json": {
          schema: z.object({ embedding: z.array(z.number()).describe("image_embeds, L2-normalised: Σ x² = 1 (float32 values)"), dimension: z.number().int(), timings: Timings }).openapi("Embedding"),
        },
      },
    },
    ...backendErrorResponses(400, 401, 404, 413, 415),
  },
});

const RouteRequestSchema = z
  .strictObject({
    libraryId: text(),
    ...ImageInputShape,
    embedding: z.array(z.number()).max(LIMITS.dimension).optional().describe("A query embedding instead of an image"),
    options: RouteOptionsSchema.optional(),
  })
  .openapi("RouteRequest");

const route = createRoute({
  method: "post",
  path: "/v1/route",
  operationId: "route",
  summary: "Route an image or embedding to a fusion plan",
  tags: ["inference"],
  security: AUTH,
  request: { body: { required: true, content: { "application/json": { schema: RouteRequestSchema } } } },
  responses: {
    200: {
      description: "The fusion plan: top-k adapters, distances, weights",
      content: { "application/json": { schema: z.object({ plan: PlanSchema, contributions: z.array(ContributionSchema), coverage: CoverageAnswerSchema, timings: Timings }).openapi("RouteResult") } },
    },
    ...backendErrorResponses(400, 401, 404, 413, 415, 422),
  },
});

const SegmentRequestSchema = z
  .strictObject({
    libraryId: text(),
    ...ImageInputShape,
    classNames: ClassNamesSchema.describe("Open vocabulary; mask pixel value = index"),
    options: SegmentOptionsSchema.optional(),
  })
  .openapi("SegmentRequest");

const SegmentResultSchema = z
  .object({
    mode: z.enum(["semla", "uniform", "zeroshot", "adapter"]),
    mask: z.string().describe("8-bit greyscale PNG, base64: pixel value = index into classNames"),
    width: z.number().int(),
    height: z.number().int(),
    scores: z.array(z.object({ className: z.string(), pixelFraction: z.number(), meanProbability: z.number() })),
    plan: PlanSchema.nullable(),
    contributions: z.array(ContributionSchema),
    coverage: CoverageAnswerSchema.nullable().describe("semla and uniform modes: whether the image is one of the library's domains, and what its policy did"),
    fusion: z
      .object({
        combination: z.string(),
        at: z
          .enum(["api", "backend"])
          .describe(
            "Where the adapters were fused: api = in the API's process (always with the local backend), backend = rebuilt by the SageMaker endpoint from its cached sources (cat over the payload limit)",
          ),
        cached: z.boolean().describe("Whether the fused adapter came from the cache"),
      })
      .nullable(),
    adapter: z.object({
      kind: z
        .string()
        .describe("How the adapter reached the segmenter: in-process (local backend), inline | cat | object (a reference sent to the SageMaker endpoint), bank (served by a library bank), or none"),
      sha256: z.string().nullable().describe("The adapter's name: its weights' sha256 (inline, object), or its mixture's (in-process, cat)"),
      cached: z.boolean().describe("Whether the segmenter's side had it cached"),
    }),
    timings: z.object({ stages: Timings, backend: Timings }),
  })
  .openapi("SegmentResult");

const segment = createRoute({
  method: "post",
  path: "/v1/segment",
  operationId: "segment",
  summary: "Segment an image with fused adapters",
  tags: ["inference"],
  security: AUTH,
  request: { body: { required: true, content: { "application/json": { schema: SegmentRequestSchema } } } },
  responses: {
    200: { description: "Mask, scores, plan and per-stage timings", content: { "application/json": { schema: SegmentResultSchema } } },
    ...backendErrorResponses(400, 401, 404, 413, 415, 422),
  },
});

const contributionView = (c: Contribution) => ({ ...c });

export function inferenceRoutes(deps: ApiDeps & { uploads: UploadStore; pipeline: Pipeline }) {
  const { pipeline, uploads } = deps;
  return newRouter()
    .openapi(embed, async (c) => {
      const image = await readImageInput(c.req.valid("json"), c.get("tenant"), uploads);
      const { embedding, timings } = await pipeline.embed(image.bytes, { signal: c.req.raw.signal }).finally(image.done);
      return c.json({ embedding: [...embedding], dimension: embedding.length, timings }, 200);
    })
    .openapi(route, async (c) => {
      const body = c.req.valid("json");
      const tenant = c.get("tenant");
      const hasImage = body.image !== undefined || body.imageUpload !== undefined;
      if (hasImage === (body.embedding !== undefined)) throw new ApiError("invalid-request", "give exactly one of image, imageUpload or embedding");
      const image = hasImage ? await readImageInput(body, tenant, uploads) : undefined;
      const query = image ? { image: image.bytes } : { embedding: Float32Array.from(body.embedding ?? []) };
      const result = await pipeline.route({ tenant, libraryId: body.libraryId, query, ...(body.options ? { options: body.options } : {}), signal: c.req.raw.signal }).finally(() => image?.done());
      return c.json({ plan: result.plan, contributions: result.contributions.map(contributionView), coverage: result.coverage, timings: result.timings }, 200);
    })
    .openapi(segment, async (c) => {
      const body = c.req.valid("json");
      const tenant = c.get("tenant");
      const requestId = c.get("requestId");
      const image = await readImageInput(body, tenant, uploads);
      const result = await usingImage(image, () =>
        pipeline.segment({
          tenant,
          libraryId: body.libraryId,
          image: image.bytes,
          classNames: body.classNames,
          ...(body.options ? { options: body.options } : {}),
          requestId,
          signal: c.req.raw.signal,
        }),
      );
      // Recorded after the answer is known: a failed request contributes nothing to the stats.
      await deps.contributions.record(
        result.library.id,
        requestId,
        result.contributions.map((x) => ({ adapterId: x.adapterId, rank: x.rank, weight: x.weight, distance: x.distance })),
      );
      return c.json(
        {
          mode: result.mode,
          mask: Buffer.from(result.maskPng).toString("base64"),
          width: result.width,
          height: result.height,
          scores: [...result.scores],
          plan: result.plan,
          contributions: result.contributions.map(contributionView),
          coverage: result.coverage,
          fusion: result.fusion ? { combination: result.fusion.options.combination, at: result.fusion.at, cached: result.fusion.cached } : null,
          adapter: result.adapter,
          timings: { stages: { ...result.timings.stages }, backend: { ...result.timings.backend } },
        },
        200,
      );
    });
}
