import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { base64Bytes, decodeBase64 } from "./base64.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("decodeBase64 (standard alphabet, padded: what z.base64() accepts)", () => {
  it("decodes every padding length to the exact bytes", () => {
    expect(decodeBase64("")).toEqual(bytes());
    expect(decodeBase64("AA==")).toEqual(bytes(0));
    expect(decodeBase64("AAE=")).toEqual(bytes(0, 1));
    expect(decodeBase64("AAEC")).toEqual(bytes(0, 1, 2));
    expect(decodeBase64("+/+/")).toEqual(bytes(0xfb, 0xff, 0xbf));
  });

  it("returns bytes that own their buffer (never a view of Buffer's shared pool)", () => {
    const small = decodeBase64("AAEC")!;
    expect([small.byteOffset, small.buffer.byteLength]).toEqual([0, 3]);
    const large = decodeBase64(Buffer.alloc(30_000, 7).toString("base64"))!;
    expect([large.byteOffset, large.buffer.byteLength, large[29_999]]).toEqual([0, 30_000, 7]);
  });

  it("refuses missing padding, whitespace, the url-safe alphabet, inner padding and foreign characters", () => {
    for (const text of ["AA", "AAE", "AA=", "AA==\n", " AAEC", "AA EC", "AA\r\nEC", "-_-_", "AA_C", "AA==AAEC", "A===", "====", "AAE*", "AAEé"]) {
      expect(decodeBase64(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it("accepts unused trailing bits set, as atob does, ignoring them", () => {
    expect(decodeBase64("AB==")).toEqual(bytes(0));
    expect(decodeBase64("AAF=")).toEqual(bytes(0, 1));
  });

  it("accepts and refuses exactly what z.base64() does", () => {
    const reference = z.base64();
    const cases = ["", "AA==", "AB==", "AAF=", "AAEC", "AA", "AA=", "A===", "AA==AA==", "-_-_", "AA EC", "AAEC\n", "QUJD", "QUJDRA==", "QUJDRA=", "QUJDR==="];
    for (const text of cases) expect(decodeBase64(text) !== undefined, JSON.stringify(text)).toBe(reference.safeParse(text).success);
  });

  it("agrees with z.base64() and atob on every string of a seeded random sample over the alphabet and its neighbours", () => {
    const reference = z.base64();
    const alphabet = "AQgw+/=-_ \n*é";
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 20_000; n++) {
      const text = Array.from({ length: Math.floor(next() * 13) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      const valid = reference.safeParse(text).success;
      const decoded = decodeBase64(text);
      expect(decoded !== undefined, JSON.stringify(text)).toBe(valid);
      if (valid) expect(decoded, JSON.stringify(text)).toEqual(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
    }
  });
});

describe("base64Bytes (a JSON body's base64 field)", () => {
  it("parses to the decoded bytes", () => {
    expect(base64Bytes().parse("AAEC")).toEqual(bytes(0, 1, 2));
  });

  it("refuses malformed base64 with z.base64()'s issue", () => {
    const result = base64Bytes().safeParse("AA EC");
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual(z.base64().safeParse("AA EC").error!.issues);
  });
});
