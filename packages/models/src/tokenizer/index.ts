// TEMPORARY stand-in until the tokenizer slice lands (replaced on merge).
import { tokenizeClassNames } from "../onnx/tokenize.js";

export interface EncodedTexts {
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly dims: readonly [number, number];
}

export interface ClassTokenizer {
  readonly contextLength: number;
  encode(texts: readonly string[]): EncodedTexts;
}

export class HashedClassTokenizer implements ClassTokenizer {
  readonly contextLength: number;
  constructor(private readonly options: { contextLength: number; vocabularySize: number }) {
    this.contextLength = options.contextLength;
  }
  encode(texts: readonly string[]): EncodedTexts {
    const t = tokenizeClassNames(texts, { length: this.options.contextLength, vocabularySize: this.options.vocabularySize });
    return { inputIds: t.inputIds, attentionMask: BigInt64Array.from(t.attentionMask, (v) => BigInt(v)), dims: t.dims };
  }
}

export function loadTokenizer(_json: unknown, _options: { file: string; contextLength: number }): ClassTokenizer {
  throw new Error("tokenizer.json support lands with the tokenizer slice");
}
