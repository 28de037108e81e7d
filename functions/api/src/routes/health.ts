import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, PUBLIC } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

const health = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "health",
  summary: "Liveness check",
  tags: ["health"],
  security: PUBLIC,
  responses: { 200: { description: "The process serves requests", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } }, ...errorResponses() },
});

export function healthRoutes() {
  return newRouter().openapi(health, (c) => c.json({ status: "ok" as const }, 200));
}
