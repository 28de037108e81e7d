/**
 * Nesting depth of JSON, measured without recursion (so 10,000 levels cannot overflow the stack
 * that measures them) and without going further than `limit + 1` levels: `1` and `"x"` are depth 0,
 * `[]` and `{"a":1}` depth 1, `{"a":[1]}` depth 2. Check it before a value reaches anything that
 * recurses over it (JSON.stringify, a JSONB column, a structured clone).
 */

/** Depth of a JSON text, from its brackets outside strings; the text need not be valid JSON. */
export function jsonTextDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

/** Depth of a parsed value (objects and arrays), walked with an explicit stack. */
export function jsonValueDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [node, depth] = entry;
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > deepest) {
      deepest = depth + 1;
      if (deepest > limit) return deepest;
    }
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}
