export type { ClassTokenizer, EncodedTexts } from "./class-tokenizer.js";
export { TokenizerError, type TokenizerRule } from "./errors.js";
export { HashedClassTokenizer } from "./hashed.js";
export { loadTokenizer } from "./hugging-face.js";
