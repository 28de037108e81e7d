import { SemlaError } from "@semla/core";

export type TransportRule = "invalid-invocation" | "invalid-response" | "invalid-reference";

/** A request or response on the wire between the API and the endpoint that cannot be read or sent. */
export class TransportError extends SemlaError {
  readonly rule: TransportRule;

  constructor(rule: TransportRule, message: string, details: Record<string, unknown> = {}) {
    super(`transport.${rule}`, message, { rule, ...details }, rule === "invalid-response" ? "bad-gateway" : "invalid");
    this.rule = rule;
  }
}

/** zod issues as one line: "path: message; ...". */
export function describeIssues(issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[]): string {
  return issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ${i.message}` : i.message)).join("; ");
}
