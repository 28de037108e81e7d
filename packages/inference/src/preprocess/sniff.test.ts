import { describe, expect, it } from "vitest";
import { sniffImageFormat } from "./sniff.js";

const bytes = (...parts: Array<string | number[]>) => Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe("sniffImageFormat", () => {
  it("recognises the accepted formats by signature", () => {
    expect(sniffImageFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe("jpeg");
    expect(sniffImageFormat(bytes([0x89], "PNG", [0x0d, 0x0a, 0x1a, 0x0a]))).toBe("png");
    expect(sniffImageFormat(bytes("RIFF", [1, 2, 3, 4], "WEBPVP8 "))).toBe("webp");
  });

  it("names formats it refuses", () => {
    expect(sniffImageFormat(bytes([0, 0, 0, 0x18], "ftypheic"))).toBe("heif");
    expect(sniffImageFormat(bytes([0, 0, 0, 0x1c], "ftypavif"))).toBe("avif");
    expect(sniffImageFormat(bytes([0xff, 0x0a]))).toBe("jxl");
    expect(sniffImageFormat(bytes("MM", [0, 0x2a]))).toBe("tiff");
    expect(sniffImageFormat(new TextEncoder().encode("\uFEFF  <!-- logo -->\n<svg viewBox='0 0 1 1'>"))).toBe("svg"); // UTF-8 BOM first
  });

  it("knows nothing of other bytes: RIFF audio, HTML, an MP4, too-short input", () => {
    expect(sniffImageFormat(bytes("RIFF", [1, 2, 3, 4], "WAVEfmt "))).toBeNull();
    expect(sniffImageFormat(bytes("<!doctype html><html>"))).toBeNull();
    expect(sniffImageFormat(bytes([0, 0, 0, 0x18], "ftypisom"))).toBeNull();
    expect(sniffImageFormat(bytes([0xff, 0xd8]))).toBeNull();
  });
});
