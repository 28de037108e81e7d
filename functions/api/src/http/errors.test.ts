import { SemlaError } from "@semla/core";
import { BackendError, EndpointReportedError, ImageError } from "@semla/inference";
import { RegistryError } from "@semla/registry";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { ApiError, errorReply } from "./errors.js";

describe("errorReply: the one mapping from an error to a status and {error: {code, message, details}}", () => {
  it("maps the caller's mistakes to 4xx with their code, message and details", () => {
    expect(errorReply(new RegistryError("unknown-adapter", "adapter x does not exist", { adapterId: "x" }))).toEqual({
      status: 404,
      body: { error: { code: "registry.unknown-adapter", message: "adapter x does not exist", details: { rule: "unknown-adapter", adapterId: "x" } } },
      internal: false,
    });
    expect(errorReply(new RegistryError("library-exists", "taken")).status).toBe(409);
    expect(errorReply(new ApiError("missing-key", "no key")).status).toBe(401);
    expect(errorReply(new ApiError("payload-too-large", "big")).status).toBe(413);
    expect(errorReply(new ImageError("too-large", "too many pixels")).status).toBe(413);
    expect(errorReply(new ImageError("undecodable", "not an image")).status).toBe(400);
    expect(errorReply(new SemlaError("safetensors.header-json", "bad header")).status).toBe(400);
    expect(errorReply(new HTTPException(400, { message: "Malformed JSON in request body" })).body.error.code).toBe("api.malformed-json");
    expect(errorReply(new HTTPException(415, { message: "Unsupported Media Type" })).status).toBe(415);
  });

  it("keeps the service's own failures out of the reply: a bare 500, or 5xx for the backend", () => {
    expect(errorReply(new Error("connection refused to 10.0.0.5"))).toEqual({ status: 500, body: { error: { code: "api.internal", message: "internal error", details: {} } }, internal: true });
    expect(errorReply(new SemlaError("ort.session-failed", "libcuda missing", {}, "internal"))).toEqual({
      status: 500,
      body: { error: { code: "api.internal", message: "internal error", details: {} } },
      internal: true,
    });
    expect(errorReply(new BackendError("timeout", "slow")).status).toBe(504);
    expect(errorReply(new BackendError("unavailable", "down"))).toMatchObject({ status: 503, retryAfter: 5, internal: false });
    expect(errorReply(new RegistryError("unavailable", "the database does not answer"))).toMatchObject({ status: 503, retryAfter: 5, body: { error: { code: "registry.unavailable" } } });
    expect(errorReply(new EndpointReportedError("endpoint.internal", "internal error", {}, 500))).toMatchObject({ status: 502, internal: true });
    // An outage that knows how long it lasts says so (the GPU scaling from zero); anything else is 5 s.
    expect(errorReply(new BackendError("scaling-from-zero", "cold", { retryAfterSeconds: 60 }))).toMatchObject({ status: 503, retryAfter: 60, internal: false });
    for (const retryAfterSeconds of [0, 2.5, "60", null]) expect(errorReply(new BackendError("unavailable", "down", { retryAfterSeconds })).retryAfter).toBe(5);
    expect(errorReply(new EndpointReportedError("image.undecodable", "bad", {}, 400))).toMatchObject({ status: 400, internal: false });
  });
});
