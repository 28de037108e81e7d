import { describe, expect, it } from "vitest";
import { SemlaError } from "../../errors.js";
import { SafetensorsError } from "./errors.js";

describe("SafetensorsError", () => {
  it("is a SemlaError whose code is safetensors.<rule>", () => {
    const error = new SafetensorsError("offsets-gap", { tensor: "w", reason: "begins at 8, expected 4", extra: { begin: 8, expected: 4 } });
    expect(error).toBeInstanceOf(SemlaError);
    expect(error.name).toBe("SafetensorsError");
    expect(error.code).toBe("safetensors.offsets-gap");
    expect(error.rule).toBe("offsets-gap");
    expect(error.tensor).toBe("w");
    expect(error.details).toEqual({ rule: "offsets-gap", tensor: "w", begin: 8, expected: 4 });
  });

  it("names the tensor and states the rule in plain words", () => {
    const error = new SafetensorsError("offsets-gap", { tensor: "w", reason: "begins at 8, expected 4" });
    expect(error.message).toBe(`safetensors tensor "w": the tensor's data does not start where the previous tensor's data ends (gap) (begins at 8, expected 4)`);
  });

  it("omits the tensor when the rule is about the whole file", () => {
    const error = new SafetensorsError("header-utf8");
    expect(error.message).toBe("safetensors: the header is not valid UTF-8");
    expect(error.tensor).toBeUndefined();
    expect(error.details).toEqual({ rule: "header-utf8", tensor: undefined });
  });
});
