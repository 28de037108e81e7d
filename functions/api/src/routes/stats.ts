import { createRoute, z } from "@hono/zod-openapi";
import { coverage, LIMITS, text } from "@semla/core";
import { createCalibrations } from "@semla/pipeline";
import { requireLibrary, unknownLibrary } from "@semla/registry";
import type { ApiDeps } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { AUTH, errorResponses } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

const ContributionStatsSchema = z
  .object({
    libraryId: z.string(),
    requests: z.number().int().describe("Served requests recorded for the library (semla and uniform modes)"),
    adapters: z.array(
      z.object({
        adapterId: z.string(),
        name: z.string(),
        version: z.number().int(),
        uses: z.number().int().describe("Requests whose fusion included the adapter"),
        totalWeight: z.number(),
        meanWeight: z.number(),
        maxWeight: z.number(),
        topRank: z.number().int().describe("Requests where it was the nearest adapter"),
        lastUsedAt: z.string(),
      }),
    ),
  })
  .openapi("ContributionStats");

const contributions = createRoute({
  method: "get",
  path: "/v1/stats/contributions",
  operationId: "getContributionStats",
  summary: "Adapter contribution statistics",
  tags: ["stats"],
  security: AUTH,
  description: "How often and how strongly each adapter of a library was used (SemLA's contribution heatmap), most weight first.",
  request: { query: z.object({ libraryId: text(), since: z.iso.datetime({ offset: true }).optional().describe("Only requests at or after this time") }) },
  responses: { 200: { description: "Per-adapter usage", content: { "application/json": { schema: ContributionStatsSchema } } }, ...errorResponses(400, 401, 404) },
});

const CoverageGapsSchema = z
  .object({
    libraryId: z.string(),
    events: z.number().int().describe(`Out-of-library requests clustered (the newest, at most ${LIMITS.coverageEvents})`),
    radius: z.number().describe("The clustering radius: the library's calibrated default radius unless given"),
    gaps: z.array(
      z.object({
        requests: z.number().int().describe("Out-of-library requests in this region"),
        centroid: z.array(z.number()).describe("Their mean embedding: the centroid an adapter trained on such images would have"),
        spread: z.number().describe("95th percentile of their distances to it"),
        firstSeen: z.string(),
        lastSeen: z.string(),
        nearest: z
          .array(z.object({ adapterId: z.string(), name: z.string().nullable(), requests: z.number().int(), meanDistance: z.number() }))
          .describe("The library's adapters nearest these requests: how many of them had it in their plan, and how far on average"),
      }),
    ),
  })
  .openapi("CoverageGaps");

const coverageGaps = createRoute({
  method: "get",
  path: "/v1/stats/coverage",
  operationId: "getCoverageGaps",
  summary: "Coverage gaps: where out-of-library requests cluster",
  tags: ["stats"],
  security: AUTH,
  description:
    "Recent out-of-library requests of a library (embeddings only: no image is kept), clustered into regions the library does not cover, largest first, each with the adapters nearest it: train an adapter for these.",
  request: {
    query: z.object({
      libraryId: text(),
      since: z.iso.datetime({ offset: true }).optional().describe("Only requests at or after this time"),
      radius: z.coerce.number().positive().max(LIMITS.spread).optional().describe("Clustering radius (default: the library's calibrated default radius)"),
      limit: z.coerce.number().int().min(1).max(LIMITS.coverageGaps).default(10).describe("Gaps listed, largest first"),
    }),
  },
  responses: { 200: { description: "Coverage gaps, largest first", content: { "application/json": { schema: CoverageGapsSchema } } }, ...errorResponses(400, 401, 404) },
});

export function statsRoutes(deps: ApiDeps) {
  const calibrations = createCalibrations(deps.index);
  return newRouter()
    .openapi(coverageGaps, async (c) => {
      const { libraryId, since, radius: given, limit } = c.req.valid("query");
      const tenant = c.get("tenant");
      const library = await requireLibrary(deps.index, tenant, libraryId);
      const radius = given ?? (await calibrations(library)).defaultRadius;
      if (radius === null || radius === 0) {
        throw new ApiError("invalid-request", `library ${library.name} is uncalibrated (fewer than two adapters and no sample spread): give radius`, { libraryId });
      }
      const events = (await deps.coverageEvents?.list(tenant, libraryId, { ...(since && { since: new Date(since) }), limit: LIMITS.coverageEvents })) ?? [];
      const gaps = coverage
        .coverageGaps(
          events.map((e) => ({ embedding: e.embedding, nearest: e.nearest, at: e.createdAt })),
          { radius, metric: library.metric },
        )
        .slice(0, limit);
      // One lookup per adapter named (at most limit × 3), concurrently rather than one round trip after another.
      const ids = [...new Set(gaps.flatMap((g) => g.nearest.map((n) => n.adapterId)))];
      const names = new Map(await Promise.all(ids.map(async (id) => [id, (await deps.index.getAdapter(tenant, id))?.name ?? null] as const)));
      return c.json(
        {
          libraryId,
          events: events.length,
          radius,
          gaps: gaps.map((g) => ({
            ...g,
            firstSeen: g.firstSeen.toISOString(),
            lastSeen: g.lastSeen.toISOString(),
            nearest: g.nearest.map((n) => ({ ...n, name: names.get(n.adapterId) ?? null })),
          })),
        },
        200,
      );
    })
    .openapi(contributions, async (c) => {
      const { libraryId, since } = c.req.valid("query");
      const stats = await deps.contributions.stats(c.get("tenant"), libraryId, since ? { since: new Date(since) } : {});
      if (!stats) throw unknownLibrary(libraryId);
      return c.json({ ...stats, adapters: stats.adapters.map((a) => ({ ...a, lastUsedAt: a.lastUsedAt.toISOString() })) }, 200);
    });
}
