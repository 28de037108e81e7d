import { OnnxError } from "./errors.js";

/**
 * The stand-in text encoder's tokenizer: no vocabulary file, any class name in any script. A name is
 * normalised (NFKC, lower case, `_`/whitespace runs → one space), then becomes hashed word tokens
 * followed by hashed byte trigrams of " name ", so related names ("car", "cars") share most tokens
 * and get nearby embeddings. Id 0 is padding; hashes land in [1, vocabularySize).
 */
export interface TokenizeOptions {
  /** Tokens per name (longer names are truncated, shorter ones padded). */
  readonly length: number;
  /** Default DEFAULT_VOCABULARY_SIZE. */
  readonly vocabularySize?: number;
}

export interface TokenizedClassNames {
  /** [classes, length], row-major. */
  readonly inputIds: BigInt64Array;
  /** [classes, length]: 1 for tokens, 0 for padding. */
  readonly attentionMask: Float32Array;
  readonly dims: readonly [number, number];
}

export const DEFAULT_VOCABULARY_SIZE = 4096;
export const PADDING_ID = 0;

export function normalizeClassName(name: string): string {
  return name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s_]+/g, " ")
    .trim();
}

/** FNV-1a, 32 bits, over bytes, starting from a salted basis so words and trigrams hash apart. */
function fnv1a(bytes: Uint8Array, start: number, end: number, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const WORD_SALT = 0x5bd1e995;
const TRIGRAM_SALT = 0x27d4eb2f;

/** The token ids of one name (untruncated). */
export function classNameTokens(name: string, vocabularySize = DEFAULT_VOCABULARY_SIZE): number[] {
  const normalized = normalizeClassName(name);
  if (normalized === "") throw new OnnxError("onnx.class-name-empty", `class name ${JSON.stringify(name)} is empty after normalisation`, { name });
  const encoder = new TextEncoder();
  const id = (hash: number) => 1 + (hash % (vocabularySize - 1));
  const tokens: number[] = [];
  for (const word of normalized.split(" ")) {
    const bytes = encoder.encode(word);
    tokens.push(id(fnv1a(bytes, 0, bytes.length, WORD_SALT)));
  }
  const padded = encoder.encode(` ${normalized} `);
  for (let i = 0; i + 3 <= padded.length; i++) tokens.push(id(fnv1a(padded, i, i + 3, TRIGRAM_SALT)));
  return tokens;
}

export function tokenizeClassNames(names: readonly string[], options: TokenizeOptions): TokenizedClassNames {
  const { length } = options;
  const vocabularySize = options.vocabularySize ?? DEFAULT_VOCABULARY_SIZE;
  if (!Number.isInteger(length) || length < 1) throw new OnnxError("onnx.config-invalid", `token length must be a positive integer, got ${length}`, { length });
  if (!Number.isInteger(vocabularySize) || vocabularySize < 2) {
    throw new OnnxError("onnx.config-invalid", `vocabulary size must be an integer ≥ 2, got ${vocabularySize}`, { vocabularySize });
  }
  const inputIds = new BigInt64Array(names.length * length);
  const attentionMask = new Float32Array(names.length * length);
  names.forEach((name, row) => {
    const tokens = classNameTokens(name, vocabularySize).slice(0, length);
    tokens.forEach((token, i) => {
      inputIds[row * length + i] = BigInt(token);
      attentionMask[row * length + i] = 1;
    });
  });
  return { inputIds, attentionMask, dims: [names.length, length] };
}
