/**
 * JSON.parse keeps the last of two equal keys without a word, which would let a safetensors
 * header name one tensor twice. This scanner walks the raw text of a JSON object (already known
 * to parse) and reports the first key at depth 1 that repeats, comparing decoded strings, so
 * "a" and "\u0061" count as the same key.
 */
export function findDuplicateTopLevelKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (depth === 1 && nextNonSpace(json, end) === COLON) {
        const key = JSON.parse(json.slice(i, end)) as string; // decodes every escape form
        if (seen.has(key)) return key;
        seen.add(key);
      }
      i = end;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    i++;
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Index just past the closing quote of the string token opening at `start`. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === BACKSLASH)
      i += 2; // skips \" and \\; \uXXXX digits cannot be quotes
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  return json.length;
}

/** Code of the first non-whitespace character at or after `from` (-1 at the end). */
function nextNonSpace(json: string, from: number): number {
  for (let i = from; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
