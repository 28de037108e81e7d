import { describe, expect, it } from "vitest";
import { levelOf } from "./logger.js";

describe("the request log's level", () => {
  it("is info below 500, warn for a 503 (not now: a database resuming, the GPU scaling from zero), error for the service's other failures", () => {
    expect([200, 201, 400, 404, 413, 499].map(levelOf)).toEqual(new Array(6).fill("info"));
    expect(levelOf(503)).toBe("warn");
    expect([500, 501, 502, 504].map(levelOf)).toEqual(["error", "error", "error", "error"]);
  });
});
