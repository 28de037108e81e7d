import { createRoute, z } from "@hono/zod-openapi";
import { text } from "@semla/core";
import { unknownLibrary } from "@semla/registry";
import type { ApiDeps } from "../http/env.js";
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

export function statsRoutes(deps: ApiDeps) {
  return newRouter().openapi(contributions, async (c) => {
    const { libraryId, since } = c.req.valid("query");
    const stats = await deps.contributions.stats(c.get("tenant"), libraryId, since ? { since: new Date(since) } : {});
    if (!stats) throw unknownLibrary(libraryId);
    return c.json({ ...stats, adapters: stats.adapters.map((a) => ({ ...a, lastUsedAt: a.lastUsedAt.toISOString() })) }, 200);
  });
}
