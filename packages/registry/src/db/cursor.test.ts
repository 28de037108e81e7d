import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";

const position = { createdAt: new Date("2026-03-01T12:34:56.789Z"), id: "0b6f7a40-5c1e-4c8e-9a65-2f1d3c4b5a69" };

describe("list cursors", () => {
  it("round-trip (created_at, id) with millisecond precision", () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it("are base64url text, safe in a query string", () => {
    expect(encodeCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("refuse anything listAdapters did not make with registry.invalid-cursor", () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of ["garbage!", forged(["2026-03-01T12:34:56.789Z"]), forged(["yesterday", position.id]), forged(["2026-03-01T12:34:56.789Z", "1; DROP TABLE adapters"])]) {
      expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: "registry.invalid-cursor" }));
    }
  });
});
