import type { LoraAdapter } from "@semla/core";

/** Bytes an adapter holds in memory (its F32 factors): the unit of the cache's budget. */
export function adapterByteSize(adapter: LoraAdapter): number {
  let bytes = 0;
  for (const m of adapter.modules) bytes += m.a.byteLength + m.b.byteLength;
  return bytes;
}
