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

export type AdapterResolveRule = "integrity" | "missing-object" | "no-store";

/** An adapter reference the endpoint cannot turn into weights: wrong sha256, missing object, nowhere to fetch from. */
export class AdapterResolveError extends SemlaError {
  readonly rule: AdapterResolveRule;

  constructor(rule: AdapterResolveRule, message: string, details: Record<string, unknown> = {}) {
    super(`adapter-reference.${rule}`, message, { rule, ...details });
    this.rule = rule;
  }
}
