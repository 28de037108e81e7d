import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "../http/router.js";

const health = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["health"],
  responses: { 200: { description: "The process serves requests", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } },
});

export function healthRoutes() {
  return newRouter().openapi(health, (c) => c.json({ status: "ok" as const }, 200));
}
