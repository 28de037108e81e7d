import { OnnxError } from "../onnx/errors.js";
import { tokenizeClassNames } from "../onnx/tokenize.js";
import type { ClassTokenizer, EncodedTexts } from "./class-tokenizer.js";
import { TokenizerError } from "./errors.js";

/** The generated demo text encoder's tokenizer (onnx/tokenize.ts: hashed words and trigrams, no vocabulary file). */
export class HashedClassTokenizer implements ClassTokenizer {
  readonly contextLength: number;

  constructor(private readonly options: { readonly contextLength: number; readonly vocabularySize: number }) {
    this.contextLength = options.contextLength;
  }

  encode(texts: readonly string[]): EncodedTexts {
    try {
      const tokens = tokenizeClassNames(texts, { length: this.options.contextLength, vocabularySize: this.options.vocabularySize });
      return { inputIds: tokens.inputIds, attentionMask: BigInt64Array.from(tokens.attentionMask, (v) => BigInt(v)), dims: tokens.dims };
    } catch (error) {
      if (error instanceof OnnxError && error.code === "onnx.class-name-empty") throw new TokenizerError("empty-text", error.message, { ...error.details });
      throw error;
    }
  }
}
