import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readInt64Npy, readTorchExportJson, torchExportFile } from "../testing/fixtures.js";
import { loadTokenizer } from "./hugging-face.js";

// tokenizer.json is CLIP's format with a small BPE vocabulary, written by the fixture generator
// (packages/models/fixtures/torch-export/generate.py); the expected ids come from that script's own
// BPE, applied by the rules (README there), and from transformers' CLIPTokenizer padding/truncation.

const FILE = torchExportFile("tokenizer.json");
const json = async () => JSON.parse(await readFile(FILE, "utf8")) as Record<string, any>;
const START = 542;
const END = 543;

describe("the Hugging Face tokenizer (tokenizer.json through @huggingface/tokenizers)", () => {
  it("gives each hand-worked case exactly its ids: lower-casing, whitespace, contractions, bytes of non-ASCII text, digits", async () => {
    const tokenizer = loadTokenizer(await json(), { file: FILE, contextLength: 16 });
    const cases = await readTorchExportJson<{ text: string; ids: number[]; note: string }[]>("tokenizer-cases.json");
    expect(cases.map((c) => c.text)).toEqual(["car", "A Photo of the ROAD", "  sky   road ", "person's tree", "café", "日", "cars!!", "road 7", ""]);
    for (const { text, ids } of cases.filter((c) => c.text !== "")) {
      const encoded = tokenizer.encode([text]);
      const row = Array.from(encoded.inputIds, Number);
      expect(row.slice(0, ids.length), text).toEqual(ids);
      expect(row.slice(ids.length), text).toEqual(new Array(16 - ids.length).fill(END));
      expect(Array.from(encoded.attentionMask, Number), text).toEqual([...new Array(ids.length).fill(1), ...new Array(16 - ids.length).fill(0)]);
    }
    expect(cases[0]!.ids).toEqual([START, 540, END]);
  });

  it("pads and truncates as CLIPTokenizer(padding='max_length', truncation=True, max_length=16): the generator's ids and mask exactly", async () => {
    const tokenizer = loadTokenizer(await json(), { file: FILE, contextLength: 16 });
    const prompts = await readTorchExportJson<string[]>("text-prompts.json");
    const encoded = tokenizer.encode(prompts);
    const ids = await readInt64Npy("text-input-ids.npy");
    const mask = await readInt64Npy("text-attention-mask.npy");
    expect(encoded.dims).toEqual([4, 16]);
    expect(ids.shape).toEqual([4, 16]);
    expect(encoded.inputIds).toEqual(ids.data);
    expect(encoded.attentionMask).toEqual(mask.data);
    // The long prompt is truncated: the end-of-text id stays last, the mask is all ones.
    expect(Number(encoded.inputIds[3 * 16 + 15])).toBe(END);
    expect(Array.from(encoded.attentionMask.subarray(48), Number)).toEqual(new Array(16).fill(1));
    // Two texts in one call are the two calls.
    const one = tokenizer.encode([prompts[0]!]);
    expect(one.inputIds).toEqual(encoded.inputIds.subarray(0, 16));
  });

  it("pads with tokenizer.json's pad_id when it has a padding section", async () => {
    const withPadding = { ...(await json()), padding: { strategy: "BatchLongest", direction: "Right", pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: "!" } };
    const encoded = loadTokenizer(withPadding, { file: FILE, contextLength: 6 }).encode(["car"]);
    expect(Array.from(encoded.inputIds, Number)).toEqual([START, 540, END, 0, 0, 0]);
  });

  it("refuses files it cannot tokenize class names with, naming the file and the rule", async () => {
    const base = await json();
    const refusal = (spec: unknown, contextLength = 16) => {
      try {
        loadTokenizer(spec, { file: FILE, contextLength });
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return null;
    };
    expect(refusal([1, 2])).toEqual(["tokenizer.invalid-json", `${FILE} is not a tokenizers JSON object`]);
    expect(refusal({ ...base, model: { ...base.model, type: "WordPiece" } })).toEqual(["tokenizer.not-bpe", `${FILE}: model.type is "WordPiece"; class names need a BPE tokenizer (CLIP's)`]);
    const { "<|endoftext|>": _end, ...vocab } = base.model.vocab;
    const noEnd = {
      ...base,
      post_processor: null,
      added_tokens: base.added_tokens.filter((t: { content: string }) => t.content !== "<|endoftext|>"),
      model: { ...base.model, vocab, unk_token: null },
    };
    expect(refusal(noEnd)).toEqual(["tokenizer.no-end-of-text", `${FILE} has no end-of-text token (a post_processor's sep, or an added <|endoftext|>): the text encoder pools at it`]);
    expect(refusal(base, 2)).toEqual(["tokenizer.context-length", `${FILE}: a context length must be an integer from 3 to 4096 (start, a token, end), got 2`]);
    expect(refusal({ ...base, normalizer: { type: "NoSuchNormalizer" } })?.[0]).toBe("tokenizer.library");
  });

  it("refuses, as the caller's error, a text with no tokens", async () => {
    const tokenizer = loadTokenizer(await json(), { file: FILE, contextLength: 16 });
    expect(() => tokenizer.encode(["car", " "])).toThrow(expect.objectContaining({ code: "tokenizer.empty-text", kind: "invalid" }));
  });
});
