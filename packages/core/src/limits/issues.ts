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

/** What formatting needs of a zod issue (zod's own, or one a refinement made). */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Where an issue is, as "field.0.name"; "" for the input itself. */
export function issuePath(issue: IssueLike): string {
  return issue.path.map(String).join(".");
}

export interface DescribeIssuesOptions {
  /** Names the input itself (an issue with an empty path), e.g. "options"; without it such an issue is its message alone. */
  readonly whole?: string;
  /** Put before every path, e.g. "--" for command-line flags. */
  readonly prefix?: string;
}

/**
 * Every issue on one line, "path: message; path: message": the one wording of zod's failures in
 * error messages, whether they answer a request, refuse a command line or a configuration.
 */
export function describeIssues(issues: readonly IssueLike[], options: DescribeIssuesOptions = {}): string {
  return issues
    .map((issue) => {
      const path = issuePath(issue);
      const where = path === "" ? options.whole : `${options.prefix ?? ""}${path}`;
      return where === undefined ? issue.message : `${where}: ${issue.message}`;
    })
    .join("; ");
}

/** The issues as error details carry them across a wire: `{ path: "a.b", message }` each. */
export function issueList(issues: readonly IssueLike[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: issuePath(issue), message: issue.message }));
}
