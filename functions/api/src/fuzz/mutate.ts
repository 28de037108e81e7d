import type { Prng } from "@semla/core";

/**
 * Seeded mutations of valid inputs, for the fuzz suite: each returns a new value and a short label
 * of what it did, so a failing case names itself and replays from its seed.
 */
export interface Mutated<T> {
  readonly value: T;
  readonly label: string;
}

export function pick<T>(prng: Prng, items: readonly T[]): T {
  return items[Math.floor(prng.next() * items.length)] as T;
}

export function int(prng: Prng, min: number, max: number): number {
  return min + Math.floor(prng.next() * (max - min + 1));
}

/** The 8-byte little-endian length that opens a safetensors file. */
function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

function withHeader(bytes: Uint8Array, header: string): Uint8Array {
  const json = new TextEncoder().encode(header);
  const data = bytes.subarray(8 + headerLength(bytes));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

type HeaderEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };

/** Byte-level and header-level mutations of a valid safetensors file. */
export function mutateSafetensors(prng: Prng, valid: Uint8Array): Mutated<Uint8Array> {
  const length = headerLength(valid);
  const header = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + length))) as Record<string, HeaderEntry | Record<string, string>>;
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const name = pick(prng, names);
  const entry = header[name] as HeaderEntry;
  const edit = (change: (h: Record<string, unknown>) => void, label: string): Mutated<Uint8Array> => {
    const copy = JSON.parse(JSON.stringify(header)) as Record<string, unknown>;
    change(copy);
    return { value: withHeader(valid, JSON.stringify(copy)), label };
  };
  const kind = int(prng, 0, 15);
  switch (kind) {
    case 0: {
      const out = valid.slice();
      const flips = int(prng, 1, 16);
      for (let i = 0; i < flips; i++) {
        const at = int(prng, 0, out.length - 1);
        out[at] = (out[at] ?? 0) ^ (1 << int(prng, 0, 7));
      }
      return { value: out, label: `${flips} bit flips anywhere` };
    }
    case 1: {
      const out = valid.slice();
      const at = int(prng, 8, 8 + length - 1);
      out[at] = int(prng, 0, 255);
      return { value: out, label: `header byte ${at} replaced` };
    }
    case 2: {
      const cut = int(prng, 0, valid.length - 1);
      return { value: valid.slice(0, cut), label: `truncated to ${cut} bytes` };
    }
    case 3: {
      const out = valid.slice();
      const declared = pick(prng, [0n, 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, BigInt(length + 1), BigInt(valid.length), 100_000_001n]);
      new DataView(out.buffer).setBigUint64(0, declared, true);
      return { value: out, label: `header length ${declared}` };
    }
    case 4:
      return { value: new Uint8Array([...valid, ...new Uint8Array(int(prng, 1, 64)).fill(7)]), label: "trailing bytes" };
    case 5:
      return edit((h) => ((h[name] as HeaderEntry).dtype = pick(prng, ["I8", "U8", "BOOL", "F8_E4M3", "C64", "X", "", "f32"])), `${name}: dtype`);
    case 6:
      return edit((h) => ((h[name] as HeaderEntry).shape = pick(prng, [[], [0], [-1, 2], [1e9, 1e9], [2 ** 53, 2], entry.shape.slice().reverse(), [...entry.shape, 1]])), `${name}: shape`);
    case 7:
      return edit(
        (h) =>
          ((h[name] as HeaderEntry).data_offsets = pick(prng, [
            [0, 0],
            [entry.data_offsets[1], entry.data_offsets[0]],
            [0, 2 ** 60],
            [-4, 4],
            [entry.data_offsets[0] + 4, entry.data_offsets[1] + 4],
          ]) as [number, number]),
        `${name}: offsets`,
      );
    case 8:
      return edit((h) => {
        h[`${name.replace(".weight", "")}.extra.weight`] = entry;
      }, `${name}: aliased tensor`);
    case 9:
      return edit((h) => {
        delete h[name];
      }, `${name}: removed (offsets no longer contiguous)`);
    case 10:
      return edit((h) => (h.__metadata__ = pick(prng, [{ a: 1 }, [], "x", { format: { nested: true } }, { ["k".repeat(5000)]: "v" }])), "bad __metadata__");
    case 11:
      return { value: withHeader(valid, pick(prng, ["", "{", "[]", "null", '"x"', "1", "{}".padEnd(4096, " "), "\u0000{}", '{"a":'.repeat(5000)])), label: "header not an object" };
    case 12: {
      // NaN and infinities in the data: float32 patterns 0x7fc00000 and 0x7f800000.
      const out = valid.slice();
      const at = 8 + length + entry.data_offsets[0];
      new DataView(out.buffer).setUint32(at, pick(prng, [0x7fc00000, 0x7f800000, 0xff800000]), true);
      return { value: out, label: `${name}: non-finite value` };
    }
    case 13:
      return edit((h) => {
        const renamed = pick(prng, [`${name}\u0000`, name.replace("lora_A", "lora_C"), "", "x".repeat(2000), name.replace(".weight", ".bias")]);
        h[renamed] = entry;
        delete h[name];
      }, `${name}: renamed`);
    case 14:
      return { value: new Uint8Array(int(prng, 0, 64)).map(() => int(prng, 0, 255)), label: "random bytes" };
    default:
      return { value: new Uint8Array(0), label: "empty file" };
  }
}

/** Deeply nested JSON (arrays or objects), as text: the parser and every serialiser must survive it. */
export function nestedJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** Strings that have broken services: NUL, lone surrogates, huge, control characters, path tricks. */
export function hostileString(prng: Prng): Mutated<string> {
  const options: [string, string][] = [
    ["fog\u0000night", "NUL inside"],
    ["\u0000", "only NUL"],
    ["\ud800", "lone high surrogate"],
    ["a\udc00b", "lone low surrogate"],
    ["", "empty"],
    [" ", "blank"],
    ["x".repeat(int(prng, 200, 70_000)), "very long"],
    ["../../etc/passwd", "path traversal"],
    ["%00%2e%2e", "percent-encoded"],
    ["😀".repeat(int(prng, 1, 3000)), "astral characters"],
    ["\u202e\u200b\ufeff", "invisible characters"],
    ["a\r\nb\tc\u0007", "control characters"],
    ["'; DROP TABLE adapters; --", "SQL quote"],
  ];
  const [value, label] = pick(prng, options);
  return { value, label };
}

/** A JSON value of the wrong kind for whatever field it lands in. */
export function wrongValue(prng: Prng): Mutated<unknown> {
  const options: [unknown, string][] = [
    [null, "null"],
    [true, "boolean"],
    [-1, "negative"],
    [0, "zero"],
    [1.5, "fraction"],
    [1e308, "huge number"],
    [-1e308, "huge negative"],
    [2 ** 53 + 1, "unsafe integer"],
    [1_000_000_000, "a billion"],
    ["8", "numeric string"],
    ["", "empty string"],
    [[], "empty array"],
    [[1, 2, 3], "array"],
    [{}, "empty object"],
    [{ $gt: "" }, "operator object"],
    ["fog\u0000", "string with NUL"],
  ];
  const [value, label] = pick(prng, options);
  return { value, label };
}
