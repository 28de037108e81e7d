import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";

/** A router whose validation failures become the API's one error shape (code api.invalid-request). */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : result.target}: ${issue.message}`);
      throw new ApiError("invalid-request", `invalid ${result.target}: ${problems.join("; ")}`, { target: result.target, issues: result.error.issues });
    },
  });
}
