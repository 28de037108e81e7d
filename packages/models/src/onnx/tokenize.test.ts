import { describe, expect, it } from "vitest";
import { OnnxError } from "./errors.js";
import { classNameTokens, normalizeClassName, tokenizeClassNames } from "./tokenize.js";

/** FNV-1a 32 over the string's bytes from a salted basis, mapped into [1, vocabulary). */
function expectedId(text: string, salt: number, vocabulary = 4096): number {
  let h = BigInt((0x811c9dc5 ^ salt) >>> 0);
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * 0x01000193n) % 2n ** 32n;
  return 1 + Number(h % BigInt(vocabulary - 1));
}
const word = (w: string) => expectedId(w, 0x5bd1e995);
const trigram = (t: string) => expectedId(t, 0x27d4eb2f);

describe("class name tokenizer", () => {
  it("is hashed words, then hashed byte trigrams of the name between spaces", () => {
    expect(classNameTokens("car")).toEqual([word("car"), trigram(" ca"), trigram("car"), trigram("ar ")]);
    expect(classNameTokens("a b")).toEqual([word("a"), word("b"), trigram(" a "), trigram("a b"), trigram(" b ")]);
    // Pinned: a change here changes every generated text embedding (bump MODEL_GENERATOR_VERSION).
    expect(classNameTokens("car")).toEqual([3696, 4085, 1324, 156]);
  });

  it("hashes UTF-8 bytes, so any script works", () => {
    const tokens = classNameTokens("é");
    // "é" is 2 bytes: " é " has 4 bytes, 2 trigrams.
    expect(tokens).toHaveLength(1 + 2);
    expect(tokens[1]).toBe(trigram(" \u00e9"));
  });

  it("normalises case, underscores and whitespace runs", () => {
    expect(normalizeClassName("  Traffic_ Light\t")).toBe("traffic light");
    expect(classNameTokens("Traffic_Light")).toEqual(classNameTokens("traffic light"));
  });

  it("keeps ids in [1, vocabulary) for a small vocabulary", () => {
    const ids = classNameTokens("a rather long class name with many words", 7);
    expect(ids.every((id) => id >= 1 && id < 7)).toBe(true);
  });

  it("pads with id 0 and mask 0, and truncates long names", () => {
    const { inputIds, attentionMask, dims } = tokenizeClassNames(["car", "traffic light"], { length: 6 });
    expect(dims).toEqual([2, 6]);
    expect(Array.from(inputIds, Number)).toEqual([...classNameTokens("car"), 0, 0, ...classNameTokens("traffic light").slice(0, 6)]);
    expect(Array.from(attentionMask)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it("refuses empty names and bad options", () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof OnnxError ? error.code : "other";
      }
      return undefined;
    };
    expect(codeOf(() => tokenizeClassNames(["car", " _ "], { length: 4 }))).toBe("onnx.class-name-empty");
    expect(codeOf(() => tokenizeClassNames(["car"], { length: 0 }))).toBe("onnx.config-invalid");
    expect(codeOf(() => tokenizeClassNames(["car"], { length: 4, vocabularySize: 1 }))).toBe("onnx.config-invalid");
  });
});
