import { createRoute, z } from "@hono/zod-openapi";
import type { ApiDeps } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { AUTH, errorResponses } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

/**
 * The models this deployment serves (its model pack): what a library for it names as its
 * embeddingModelId, dimension and baseModelId, and the modules adapters for its segmenter may target.
 * `semla libraries create` fills a new library's fields from it.
 */
export const ServedModelsSchema = z
  .object({
    name: z.string().nullable().describe("The pack's name"),
    imageEncoder: z.object({ id: z.string().describe("A library's embeddingModelId"), dimension: z.number().int().describe("A library's dimension") }),
    textEncoder: z.object({ kind: z.enum(["onnx", "table"]), dimension: z.number().int(), classes: z.array(z.string()).nullable().describe("A closed vocabulary's class names") }).nullable(),
    segmenter: z
      .object({
        id: z.string().describe("A library's baseModelId"),
        loraModules: z.array(z.object({ name: z.string(), in: z.number().int(), out: z.number().int() })).describe("What adapters for it may target, with their shapes"),
      })
      .nullable(),
  })
  .openapi("ServedModels");
export type ServedModels = z.infer<typeof ServedModelsSchema>;

const get = createRoute({
  method: "get",
  path: "/v1/models",
  operationId: "getModels",
  summary: "The served model pack",
  tags: ["models"],
  security: AUTH,
  description: "The models this deployment serves: the ids and dimension a library for them names",
  responses: { 200: { description: "The served model pack", content: { "application/json": { schema: ServedModelsSchema } } }, ...errorResponses(401) },
});

export function modelsRoutes(deps: ApiDeps) {
  return newRouter().openapi(get, (c) => {
    if (!deps.servedModels) throw new ApiError("not-available", "this deployment states no models");
    return c.json(deps.servedModels, 200);
  });
}
