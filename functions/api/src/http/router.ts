import { OpenAPIHono } from "@hono/zod-openapi";
import { describeIssues, errorOfIssues } from "@semla/core";
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
      throw new ApiError("invalid-request", `invalid ${result.target}: ${describeIssues(result.error.issues, { whole: result.target })}`, { target: result.target, issues: result.error.issues });
    },
  });
}
