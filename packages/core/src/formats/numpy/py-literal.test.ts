import { describe, expect, it } from "vitest";
import { NumpyFormatError } from "./errors.js";
import { type PyLiteral, parsePyLiteral } from "./py-literal.js";

const int = (value: number): PyLiteral => ({ kind: "int", value });
const str = (value: string): PyLiteral => ({ kind: "str", value });
const tuple = (...items: PyLiteral[]): PyLiteral => ({ kind: "tuple", items });

function failure(text: string): NumpyFormatError {
  try {
    parsePyLiteral(text);
  } catch (error) {
    if (error instanceof NumpyFormatError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("parsePyLiteral", () => {
  it("parses numpy's header dict, padding and newline included", () => {
    const parsed = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 768), }          \n");
    expect(parsed).toEqual({
      kind: "dict",
      entries: new Map<string, PyLiteral>([
        ["descr", str("<f4")],
        ["fortran_order", { kind: "bool", value: false }],
        ["shape", tuple(int(1), int(768))],
      ]),
    });
  });

  it("reads tuples as Python does: () and (n,) and (a, b,) are tuples, (n) is just n", () => {
    expect(parsePyLiteral("()")).toEqual(tuple());
    expect(parsePyLiteral("(5,)")).toEqual(tuple(int(5)));
    expect(parsePyLiteral("( 2 , 3 , )")).toEqual(tuple(int(2), int(3)));
    expect(parsePyLiteral("(5)")).toEqual(int(5));
  });

  it("reads lists, nested values, True and double-quoted strings", () => {
    expect(parsePyLiteral(`[("a", '<f4'), [], True]`)).toEqual({
      kind: "list",
      items: [tuple(str("a"), str("<f4")), { kind: "list", items: [] }, { kind: "bool", value: true }],
    });
  });

  it("reads simple escapes inside strings", () => {
    expect(parsePyLiteral(String.raw`'it\'s \"x\" \\ \n\t\r'`)).toEqual(str(`it's "x" \\ \n\t\r`));
  });

  it("reads negative integers, 0, and Python 2 long suffixes written by old numpy (1L, 768L)", () => {
    expect(parsePyLiteral("(-3, 0, 1L, 768l)")).toEqual(tuple(int(-3), int(0), int(1), int(768)));
  });

  it("accepts an empty dict and surrounding tabs and newlines", () => {
    expect(parsePyLiteral("\t{ }\n")).toEqual({ kind: "dict", entries: new Map() });
  });

  it.each([
    ["", "unexpected end of header at offset 0"],
    ["{'a': 1", "expected ',' or '}' at offset 7"],
    ["{'a' 1}", "expected ':' at offset 5"],
    ["{1: 2}", "expected a string key or '}' at offset 1"],
    ["{'a': 1 'b': 2}", "expected ',' or '}' at offset 8"],
    ["(1 2)", "expected ',' or ')' at offset 3"],
    ["[1,,]", 'unexpected character "," at offset 3'],
    ["'abc", "unterminated string at offset 4"],
    ["'ab\ncd'", "unterminated string at offset 3"],
    [String.raw`'\x41'`, "unsupported escape in string at offset 2"],
    ["{} {}", "unexpected text after the literal at offset 3"],
    ["007", "leading zeros are not allowed in an integer at offset 3"],
    ["-", "expected digits at offset 1"],
    ["12abc", "unexpected character after integer at offset 2"],
    ["1.5", "unexpected character after integer at offset 1"],
    ["99999999999999999999", "integer out of range at offset 20"],
    ["Truey", 'unexpected character "T" at offset 0'],
    ["None", 'unexpected character "N" at offset 0'],
    ["true", 'unexpected character "t" at offset 0'],
  ])("refuses %j: %s", (text, reason) => {
    const error = failure(text);
    expect(error.code).toBe("numpy.header-syntax");
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`numpy: the header is not a Python dict literal ending in a newline (${reason})`);
  });

  it("refuses a duplicate dict key (Python would silently keep the last)", () => {
    const error = failure("{'shape': (1,), 'shape': (2,)}");
    expect(error.code).toBe("numpy.header-keys");
    expect(error.reason).toBe('duplicate key "shape" at offset 16');
  });
});
