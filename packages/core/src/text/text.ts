import { z } from "zod";

/**
 * Text PostgreSQL can store. Its UTF-8 `text` refuses NUL (U+0000) outright, `jsonb` refuses the
 * `\u0000` escape and a lone UTF-16 surrogate, and the driver silently turns a lone surrogate in
 * `text` into U+FFFD (the stored name would not be the one given). Refused at the edge with this
 * reason, so such a string never reaches a query.
 */
export function textProblem(value: string): string | undefined {
  const found = UNSTORABLE.exec(value);
  if (!found) return undefined;
  return found[0] === "\0" ? `contains a NUL character (U+0000) at index ${found.index}` : `is not well-formed Unicode (a lone UTF-16 surrogate at index ${found.index})`;
}

/** NUL, or a surrogate without its pair (read per UTF-16 unit: no `u` flag). */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The string schema for every string a request brings in (API bodies, queries, forms, options):
 * z.string() that refuses what PostgreSQL cannot store, naming the field in the issue's path.
 * Chain bounds as on z.string(): `text().min(1).max(128)`.
 */
export function text() {
  return z.string().check((ctx) => {
    const problem = textProblem(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: `${problem}, which cannot be stored`, input: ctx.value, params: { rule: "storable-text" } });
  });
}

/** Where in a JSON value (keys and strings, at any depth) the first unstorable text is, if any. */
export function findUnstorableText(value: unknown): { path: (string | number)[]; problem: string } | undefined {
  // Iterative, each step linked to its parent (the path is built only when something is found): a
  // value nested thousands deep neither overflows the stack nor costs depth² here.
  interface Step {
    readonly value: unknown;
    readonly key?: string | number;
    readonly parent?: Step;
  }
  const pathOf = (step: Step, key?: string): (string | number)[] => {
    const path: (string | number)[] = key === undefined ? [] : [key];
    for (let at: Step | undefined = step; at?.key !== undefined; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Step[] = [{ value }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    const at = step.value;
    if (typeof at === "string") {
      const problem = textProblem(at);
      if (problem) return { path: pathOf(step), problem };
    } else if (Array.isArray(at)) {
      for (let i = at.length - 1; i >= 0; i--) stack.push({ value: at[i], key: i, parent: step });
    } else if (at !== null && typeof at === "object") {
      const entries = Object.entries(at);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        const problem = textProblem(key);
        if (problem) return { path: pathOf(step, key), problem: `key ${problem}` };
        stack.push({ value: inner, key, parent: step });
      }
    }
  }
  return undefined;
}

/** A JSON value (kept as it is) whose keys and strings PostgreSQL can store, at any depth. */
export function storableJson<S extends z.ZodType>(schema: S) {
  return schema.check((ctx) => {
    const found = findUnstorableText(ctx.value);
    if (found) ctx.issues.push({ code: "custom", message: `${found.problem}, which cannot be stored`, input: ctx.value, path: found.path, params: { rule: "storable-text" } });
  });
}
