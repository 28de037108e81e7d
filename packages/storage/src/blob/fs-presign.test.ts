import { describe, expect, it } from "vitest";
import { type PresignedPutRequest, presignFsPut, verifyPresignedPut } from "./fs-presign.js";

const SECRET = new TextEncoder().encode("0123456789abcdef0123456789abcdef");
const CONFIG = { baseUrl: "https://semla.example/api", secret: SECRET };
const NOW = new Date("2026-01-02T03:04:05.678Z");

function signed(options: { contentLength?: number; contentType?: string } = { contentLength: 42, contentType: "application/octet-stream" }) {
  return presignFsPut(CONFIG, "adapters/x/v1/model.safetensors", { expiresInSeconds: 600, ...options }, NOW);
}

const PINNED = { contentLength: 42, contentType: "application/octet-stream" };

function request(url: string, actual: { contentLength?: number; contentType?: string } = PINNED): PresignedPutRequest {
  return { url, ...actual };
}

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

describe("presignFsPut", () => {
  it("points at the embedded API's upload route with key, expiry, pinned headers and signature", () => {
    const put = signed();
    const url = new URL(put.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://semla.example/api/v1/blobs/upload");
    expect(url.searchParams.get("key")).toBe("adapters/x/v1/model.safetensors");
    expect(url.searchParams.get("expires")).toBe(String(Math.floor(NOW.getTime() / 1000) + 600));
    expect(url.searchParams.get("content-length")).toBe("42");
    expect(url.searchParams.get("content-type")).toBe("application/octet-stream");
    expect(url.searchParams.get("signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(put.method).toBe("PUT");
    expect(put.headers).toEqual({ "content-length": "42", "content-type": "application/octet-stream" });
    expect(put.expiresAt).toEqual(new Date((Math.floor(NOW.getTime() / 1000) + 600) * 1000));
  });

  it("refuses short secrets and non-positive expiries", () => {
    expect(() => presignFsPut({ baseUrl: "http://x", secret: "short" }, "a", { expiresInSeconds: 60 })).toThrow(/at least 16 bytes/);
    expect(() => presignFsPut(CONFIG, "a", { expiresInSeconds: 0 })).toThrow(/expiresInSeconds/);
    expect(() => presignFsPut(CONFIG, "a", { expiresInSeconds: 1.5 })).toThrow(/expiresInSeconds/);
  });
});

describe("verifyPresignedPut", () => {
  it("accepts the URL it signed, in any of the forms the API may hold it", () => {
    const { url } = signed();
    const expected = { ok: true, key: "adapters/x/v1/model.safetensors", contentLength: 42, contentType: "application/octet-stream" };
    expect(verifyPresignedPut(request(url), SECRET, NOW)).toMatchObject(expected);
    const parsed = new URL(url);
    expect(verifyPresignedPut(request(`${parsed.pathname}${parsed.search}`), SECRET, NOW)).toMatchObject(expected);
    expect(verifyPresignedPut({ ...request(url), url: parsed.searchParams }, SECRET, NOW)).toMatchObject(expected);
    expect(verifyPresignedPut(request(url), "0123456789abcdef0123456789abcdef", NOW)).toMatchObject(expected);
  });

  it("rejects a tampered key, expiry or pinned header as a bad signature", () => {
    const { url } = signed();
    expect(verifyPresignedPut(request(withParam(url, "key", "adapters/y/v1/model.safetensors")), SECRET, NOW)).toEqual({ ok: false, reason: "signature" });
    expect(verifyPresignedPut(request(withParam(url, "expires", "9999999999")), SECRET, NOW)).toEqual({ ok: false, reason: "signature" });
    expect(verifyPresignedPut(request(withParam(url, "content-length", "43"), { ...PINNED, contentLength: 43 }), SECRET, NOW)).toEqual({ ok: false, reason: "signature" });
    expect(verifyPresignedPut(request(withParam(url, "content-type", "text/html"), { ...PINNED, contentType: "text/html" }), SECRET, NOW)).toEqual({ ok: false, reason: "signature" });
    const flipped = withParam(url, "signature", "0".repeat(64));
    expect(verifyPresignedPut(request(flipped), SECRET, NOW)).toEqual({ ok: false, reason: "signature" });
  });

  it("rejects a URL signed with another secret", () => {
    expect(verifyPresignedPut(request(signed().url), "another secret, also long enough", NOW)).toEqual({ ok: false, reason: "signature" });
  });

  it("rejects an upload whose length or type differs from the pinned ones", () => {
    const { url } = signed();
    expect(verifyPresignedPut(request(url, { ...PINNED, contentLength: 41 }), SECRET, NOW)).toEqual({ ok: false, reason: "content-length" });
    expect(verifyPresignedPut(request(url, { contentType: PINNED.contentType }), SECRET, NOW)).toEqual({ ok: false, reason: "content-length" });
    expect(verifyPresignedPut(request(url, { ...PINNED, contentType: "text/plain" }), SECRET, NOW)).toEqual({ ok: false, reason: "content-type" });
  });

  it("accepts any length and type when none was pinned", () => {
    const { url } = signed({});
    expect(verifyPresignedPut(request(url, { contentLength: 12345, contentType: "text/plain" }), SECRET, NOW)).toMatchObject({ ok: true });
    expect(verifyPresignedPut(request(url, {}), SECRET, NOW)).toMatchObject({ ok: true });
  });

  it("is valid up to its expiry and expired after it", () => {
    const put = signed();
    expect(verifyPresignedPut(request(put.url), SECRET, put.expiresAt)).toMatchObject({ ok: true });
    expect(verifyPresignedPut(request(put.url), SECRET, new Date(put.expiresAt.getTime() + 1))).toEqual({ ok: false, reason: "expired" });
  });

  it("rejects malformed URLs without trusting any of their parts", () => {
    const { url } = signed();
    const without = (name: string): string => {
      const parsed = new URL(url);
      parsed.searchParams.delete(name);
      return parsed.toString();
    };
    for (const broken of [without("signature"), without("key"), without("expires"), withParam(url, "signature", "zz"), withParam(url, "expires", "-1"), withParam(url, "key", "../etc/passwd")]) {
      expect(verifyPresignedPut(request(broken), SECRET, NOW)).toEqual({ ok: false, reason: "malformed" });
    }
  });
});
