import { describe, expect, it } from "vitest";
import { findDuplicateTopLevelKey } from "./json-keys.js";

describe("findDuplicateTopLevelKey", () => {
  it("finds nothing when every top-level key is distinct", () => {
    expect(findDuplicateTopLevelKey(`{"a":1,"b":2,"c":{"a":3}}`)).toBeUndefined();
    expect(findDuplicateTopLevelKey(`{}`)).toBeUndefined();
  });

  it("reports a repeated key", () => {
    expect(findDuplicateTopLevelKey(`{"a":1,"b":2,"a":3}`)).toBe("a");
  });

  it("reports the first key that repeats", () => {
    expect(findDuplicateTopLevelKey(`{"x":1,"y":1,"y":2,"x":2}`)).toBe("y");
  });

  it("compares decoded keys, so escaped spellings of one name collide", () => {
    expect(findDuplicateTopLevelKey(`{"a":1,"\\u0061":2}`)).toBe("a");
    expect(findDuplicateTopLevelKey(`{"a\\/b":1,"a/b":2}`)).toBe("a/b");
  });

  it("reads escaped quotes and backslashes inside keys", () => {
    expect(findDuplicateTopLevelKey(`{"a\\"b":1,"a\\\\":2,"a\\"b":3}`)).toBe('a"b');
    expect(findDuplicateTopLevelKey(`{"a\\\\":1,"b":2}`)).toBeUndefined();
    expect(findDuplicateTopLevelKey(`{"\\\\":1,"\\\\":2}`)).toBe("\\");
  });

  it("ignores keys in nested objects and arrays", () => {
    expect(findDuplicateTopLevelKey(`{"t":{"k":1,"k":2},"u":[{"k":1},{"k":2}],"v":[["k"],"k"]}`)).toBeUndefined();
    expect(findDuplicateTopLevelKey(`{"t":{"deep":{"t":1}},"t":2}`)).toBe("t");
  });

  it("does not mistake values or brackets inside strings for keys or nesting", () => {
    expect(findDuplicateTopLevelKey(`{"a":"a","b":"a"}`)).toBeUndefined();
    expect(findDuplicateTopLevelKey(`{"a":"{\\"b\\":1}","b":"]}"}`)).toBeUndefined();
    expect(findDuplicateTopLevelKey(`{"a":"}","a":"{"}`)).toBe("a");
  });

  it("allows whitespace between a key and its colon", () => {
    expect(findDuplicateTopLevelKey(`{ "a" : 1 ,\n\t"a"\r\n: 2 }`)).toBe("a");
  });

  it("treats the empty string as a key like any other", () => {
    expect(findDuplicateTopLevelKey(`{"":1,"":2}`)).toBe("");
  });
});
