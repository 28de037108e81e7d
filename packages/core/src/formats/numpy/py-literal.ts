import { NumpyFormatError } from "./errors.js";

/**
 * The .npy header is a Python dict literal (numpy reads it with ast.literal_eval). This is a small
 * strict parser for the subset numpy writes — dicts with string keys, tuples, lists, strings, ints
 * and booleans — so headers are read by grammar, never evaluated or pattern-matched.
 */
export type PyLiteral =
  | { readonly kind: "str"; readonly value: string }
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "tuple"; readonly items: readonly PyLiteral[] }
  | { readonly kind: "list"; readonly items: readonly PyLiteral[] }
  | { readonly kind: "dict"; readonly entries: ReadonlyMap<string, PyLiteral> };

/** Parses exactly one literal; only whitespace may surround it. Duplicate dict keys are refused. */
export function parsePyLiteral(text: string): PyLiteral {
  const parser = new Parser(text);
  parser.skipSpace();
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail("unexpected text after the literal");
  return value;
}

// Python's simple escapes; anything else (\x, \u, octal...) never appears in numpy headers.
const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r" };

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(why: string): never {
    throw new NumpyFormatError("header-syntax", { reason: `${why} at offset ${this.pos}`, extra: { offset: this.pos } });
  }

  skipSpace(): void {
    while (!this.atEnd() && " \t\r\n".includes(this.text[this.pos]!)) this.pos++;
  }

  value(): PyLiteral {
    const c = this.text[this.pos];
    if (c === "{") return this.dict();
    if (c === "(") return this.parenthesised();
    if (c === "[") return { kind: "list", items: this.sequence("]").items };
    if (c === "'" || c === '"') return { kind: "str", value: this.string() };
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.int();
    if (this.keyword("True")) return { kind: "bool", value: true };
    if (this.keyword("False")) return { kind: "bool", value: false };
    return this.fail(c === undefined ? "unexpected end of header" : `unexpected character ${JSON.stringify(c)}`);
  }

  private dict(): PyLiteral {
    this.pos++; // "{"
    const entries = new Map<string, PyLiteral>();
    for (;;) {
      this.skipSpace();
      if (this.eat("}")) return { kind: "dict", entries };
      const quote = this.text[this.pos];
      if (quote !== "'" && quote !== '"') this.fail("expected a string key or '}'");
      const keyAt = this.pos;
      const key = this.string();
      if (entries.has(key)) {
        throw new NumpyFormatError("header-keys", { reason: `duplicate key ${JSON.stringify(key)} at offset ${keyAt}` });
      }
      this.skipSpace();
      if (!this.eat(":")) this.fail("expected ':'");
      this.skipSpace();
      entries.set(key, this.value());
      this.skipSpace();
      if (this.eat("}")) return { kind: "dict", entries };
      if (!this.eat(",")) this.fail("expected ',' or '}'");
    }
  }

  /** `()` and `(x,)` and `(x, y)` are tuples; `(x)` is just x, as in Python. */
  private parenthesised(): PyLiteral {
    const { items, trailingComma } = this.sequence(")");
    if (items.length === 1 && !trailingComma) return items[0]!;
    return { kind: "tuple", items };
  }

  private sequence(close: string): { items: PyLiteral[]; trailingComma: boolean } {
    this.pos++; // "(" or "["
    const items: PyLiteral[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eat(close)) return { items, trailingComma: items.length > 0 };
      items.push(this.value());
      this.skipSpace();
      if (this.eat(close)) return { items, trailingComma: false };
      if (!this.eat(",")) this.fail(`expected ',' or '${close}'`);
    }
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === "\n") this.fail("unterminated string");
      this.pos++;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const escaped = ESCAPES[this.text[this.pos] ?? ""];
      if (escaped === undefined) this.fail("unsupported escape in string");
      out += escaped;
      this.pos++;
    }
  }

  /** Decimal integers; a trailing L (Python 2 longs, found in old numpy headers) is accepted. */
  private int(): PyLiteral {
    const start = this.pos;
    if (this.text[this.pos] === "-") this.pos++;
    const digitsAt = this.pos;
    while (!this.atEnd() && this.text[this.pos]! >= "0" && this.text[this.pos]! <= "9") this.pos++;
    const digits = this.text.slice(digitsAt, this.pos);
    if (digits === "") this.fail("expected digits");
    if (digits.length > 1 && digits.startsWith("0")) this.fail("leading zeros are not allowed in an integer");
    const value = Number(this.text.slice(start, this.pos));
    if (!Number.isSafeInteger(value)) this.fail("integer out of range");
    if (this.text[this.pos] === "L" || this.text[this.pos] === "l") this.pos++;
    if (this.isNameChar(this.text[this.pos])) this.fail("unexpected character after integer");
    return { kind: "int", value };
  }

  /** A bare word: True/False must not run into further name characters (e.g. `Truey`). */
  private keyword(word: string): boolean {
    if (!this.text.startsWith(word, this.pos) || this.isNameChar(this.text[this.pos + word.length])) return false;
    this.pos += word.length;
    return true;
  }

  private isNameChar(c: string | undefined): boolean {
    return c !== undefined && /[A-Za-z0-9_.]/.test(c);
  }

  private eat(c: string): boolean {
    if (this.text[this.pos] !== c) return false;
    this.pos++;
    return true;
  }
}
