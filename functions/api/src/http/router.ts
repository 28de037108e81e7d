import { OpenAPIHono } from "@hono/zod-openapi";
import { errorOfIssues } from "@semla/core";
import type { AppEnv } from "./env.js";
import { ApiError } from "./errors.js";

/** A router whose validation failures become the API's one error shape (code api.invalid-request, or the code a refinement carries). */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      // A rule with its own code (the class list's) answers with it, as the endpoint would.
      const coded = errorOfIssues(result.error.issues);
      if (coded) throw coded;
      const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : result.target}: ${issue.message}`);
      throw new ApiError("invalid-request", `invalid ${result.target}: ${problems.join("; ")}`, { target: result.target, issues: result.error.issues });
    },
  });
}
