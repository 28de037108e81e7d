import { isSemlaError, type SemlaError } from "../errors.js";

/**
 * A rule written once as a schema refinement answers with its own code wherever the schema is parsed:
 * the refinement adds `issueOf(error)`, and each edge that turns zod issues into a reply (the API's
 * validator, the transport's envelope) throws `errorOfIssues(issues)` when there is one, instead of
 * its generic "invalid request".
 */
export interface CodedIssue {
  readonly [key: string]: unknown;
  readonly code: "custom";
  readonly message: string;
  readonly params: { readonly error: SemlaError };
}

/** The zod issue standing for `error` (for `ctx.addIssue`). */
export function issueOf(error: SemlaError): CodedIssue {
  return { code: "custom", message: error.message, params: { error } };
}

/** The error of the first issue made by `issueOf`, if any. */
export function errorOfIssues(issues: readonly object[]): SemlaError | undefined {
  for (const issue of issues) {
    const error = "params" in issue ? (issue.params as { error?: unknown } | undefined)?.error : undefined;
    if (isSemlaError(error)) return error;
  }
  return undefined;
}
