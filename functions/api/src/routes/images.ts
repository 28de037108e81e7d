import { createRoute, z } from "@hono/zod-openapi";
import { LIMITS } from "@semla/core";
import type { ApiDeps } from "../http/env.js";
import { AUTH, errorResponses } from "../http/openapi.js";
import { newRouter } from "../http/router.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { grantView, UploadGrantSchema } from "./adapters.js";

const beginImageUpload = createRoute({
  method: "post",
  path: "/v1/uploads/images",
  operationId: "beginImageUpload",
  summary: "Begin a presigned image upload",
  tags: ["images"],
  security: AUTH,
  description: "For images over the 6 MB payload limit: PUT the image to the URL, then pass the uploadId as `imageUpload` to embed, route or segment (used once).",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.strictObject({ bytes: z.number().int().positive().max(LIMITS.imageUploadBytes) }).openapi("NewImageUpload") } },
    },
  },
  responses: { 201: { description: "Presigned PUT for the image", content: { "application/json": { schema: UploadGrantSchema } } }, ...errorResponses(400, 401) },
});

export function imagesRoutes(deps: ApiDeps & { uploads: UploadStore }) {
  return newRouter().openapi(beginImageUpload, async (c) => {
    const grant = await deps.uploads.begin(c.get("tenant"), "image", c.req.valid("json").bytes, {});
    return c.json(grantView(grant), 201);
  });
}
