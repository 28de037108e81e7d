// Test support: an invocation envelope with any header, bypassing encodeInvocation's checks.
export function rawEnvelope(header: unknown, payload: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(4 + json.byteLength + payload.byteLength);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 4);
  out.set(payload, 4 + json.byteLength);
  return out;
}
