import { Tokenizer } from "@huggingface/tokenizers";
import type { ClassTokenizer, EncodedTexts } from "./class-tokenizer.js";
import { TokenizerError } from "./errors.js";

/**
 * A Hugging Face `tokenizer.json` run by `@huggingface/tokenizers` (Hugging Face's own pure-JS port
 * of the tokenizers library: it reads the file's normalizer, pre-tokenizer, BPE model and special
 * tokens as they are, so CLIP's lower-casing, its split pattern, byte-level characters and `</w>`
 * word ends are the library's, not ours). What is ours is CLIP's framing, done as transformers'
 * CLIPTokenizer(padding="max_length", truncation=True) does it: the start-of-text id, at most
 * contextLength − 2 of the text's tokens, the end-of-text id, then padding (tokenizer.json's
 * `padding.pad_id`, else the end-of-text id: CLIP's pad token) with a 0 in the mask.
 */

const START_OF_TEXT = "<|startoftext|>";
const END_OF_TEXT = "<|endoftext|>";
const MAX_CONTEXT = 4096;

interface TokenizerJson {
  readonly model?: { readonly type?: unknown; readonly vocab?: unknown };
  readonly added_tokens?: readonly { readonly id?: unknown; readonly content?: unknown }[];
  readonly post_processor?: { readonly type?: unknown; readonly cls?: unknown; readonly sep?: unknown } | null;
  readonly padding?: { readonly pad_id?: unknown } | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A [token, id] pair of a Roberta/Bert post-processor, or undefined. */
function pairId(value: unknown): number | undefined {
  return Array.isArray(value) && typeof value[1] === "number" && Number.isInteger(value[1]) ? value[1] : undefined;
}

/** The special tokens' ids: from the post-processor (cls/sep), else the added tokens named as CLIP names them. */
function specialIds(json: TokenizerJson, tokenizer: Tokenizer): { start: number | undefined; end: number | undefined } {
  const post = json.post_processor;
  const added = (content: string) => {
    const found = json.added_tokens?.find((t) => t.content === content);
    return typeof found?.id === "number" ? found.id : tokenizer.token_to_id(content);
  };
  const fromPost = post && (post.type === "RobertaProcessing" || post.type === "BertProcessing") ? { start: pairId(post.cls), end: pairId(post.sep) } : { start: undefined, end: undefined };
  return { start: fromPost.start ?? added(START_OF_TEXT), end: fromPost.end ?? added(END_OF_TEXT) };
}

export function loadTokenizer(json: unknown, options: { readonly file: string; readonly contextLength: number }): ClassTokenizer {
  const { file, contextLength } = options;
  if (!isObject(json)) throw new TokenizerError("invalid-json", `${file} is not a tokenizers JSON object`, { file });
  const spec = json as TokenizerJson;
  if (!isObject(spec.model) || spec.model.type !== "BPE") {
    throw new TokenizerError("not-bpe", `${file}: model.type is ${JSON.stringify(isObject(spec.model) ? spec.model.type : undefined)}; class names need a BPE tokenizer (CLIP's)`, {
      file,
      type: isObject(spec.model) ? spec.model.type : null,
    });
  }
  if (!Number.isInteger(contextLength) || contextLength < 3 || contextLength > MAX_CONTEXT) {
    throw new TokenizerError("context-length", `${file}: a context length must be an integer from 3 to ${MAX_CONTEXT} (start, a token, end), got ${contextLength}`, { file, contextLength });
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, {});
  } catch (error) {
    throw new TokenizerError("library", `${file} could not be read as a tokenizer: ${(error as Error).message}`, { file });
  }
  const { start, end } = specialIds(spec, tokenizer);
  if (end === undefined) {
    throw new TokenizerError("no-end-of-text", `${file} has no end-of-text token (a post_processor's sep, or an added ${END_OF_TEXT}): the text encoder pools at it`, { file });
  }
  const padId = isObject(spec.padding) && typeof spec.padding.pad_id === "number" ? spec.padding.pad_id : end;
  return new HuggingFaceClassTokenizer(tokenizer, { start, end, pad: padId }, contextLength, file);
}

class HuggingFaceClassTokenizer implements ClassTokenizer {
  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly ids: { readonly start: number | undefined; readonly end: number; readonly pad: number },
    readonly contextLength: number,
    private readonly file: string,
  ) {}

  encode(texts: readonly string[]): EncodedTexts {
    const length = this.contextLength;
    const inputIds = new BigInt64Array(texts.length * length).fill(BigInt(this.ids.pad));
    const attentionMask = new BigInt64Array(texts.length * length);
    const { start, end } = this.ids;
    const room = length - 1 - (start === undefined ? 0 : 1);
    texts.forEach((text, row) => {
      const content = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
      if (content.length === 0) throw new TokenizerError("empty-text", `${JSON.stringify(text)} has no tokens (${this.file})`, { text });
      const ids = [...(start === undefined ? [] : [start]), ...content.slice(0, room), end];
      ids.forEach((id, i) => {
        inputIds[row * length + i] = BigInt(id);
        attentionMask[row * length + i] = 1n;
      });
    });
    return { inputIds, attentionMask, dims: [texts.length, length] };
  }
}
