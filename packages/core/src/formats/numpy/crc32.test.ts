import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32", () => {
  it("gives the standard check value 0xCBF43926 for '123456789'", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
  });

  it("is 0 for no bytes", () => {
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it("gives 0x414FA339 for 'The quick brown fox jumps over the lazy dog'", () => {
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("agrees with zlib on every byte value and on 4096 pseudo-random bytes, as an unsigned integer", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(crc32(all)).toBe(zlibCrc32(all));
    let seed = 12345;
    const noise = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    expect(crc32(noise)).toBe(zlibCrc32(noise));
    expect(crc32(noise)).toBeGreaterThanOrEqual(0);
  });

  it("reads a subarray's own bytes, not its whole buffer", () => {
    const whole = ascii("xx123456789yy");
    expect(crc32(whole.subarray(2, 11))).toBe(0xcbf43926);
  });
});
