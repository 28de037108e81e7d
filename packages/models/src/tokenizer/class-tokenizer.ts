/**
 * What the text encoder is fed: a batch of texts (class names in their prompt templates) as token
 * ids and an attention mask, [texts, contextLength] row-major, each row padded or truncated to the
 * context length. One interface for the pack's Hugging Face tokenizer and the generated demo
 * encoder's hashed stand-in, so the caller holds one type. The mask is int64 (what a Hugging Face
 * export takes); a caller feeding a float32 mask converts it.
 */
export interface EncodedTexts {
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly dims: readonly [number, number];
}

export interface ClassTokenizer {
  readonly contextLength: number;
  encode(texts: readonly string[]): EncodedTexts;
}
