import { describe, expect, it } from "vitest";
import { chooseExecutionProviders } from "./segmenter.js";

describe("chooseExecutionProviders", () => {
  it("prefers CUDA when available (auto), falling back to CPU", () => {
    expect(chooseExecutionProviders("auto", ["cuda", "cpu"])).toEqual(["cuda", "cpu"]);
    expect(chooseExecutionProviders("auto", ["cpu"])).toEqual(["cpu"]);
    expect(chooseExecutionProviders("cpu", ["cuda", "cpu"])).toEqual(["cpu"]);
    expect(chooseExecutionProviders("cuda", ["cuda", "cpu"])).toEqual(["cuda", "cpu"]);
  });

  it("refuses CUDA asked for explicitly where it cannot run", () => {
    expect(() => chooseExecutionProviders("cuda", ["cpu"])).toThrow("--device cuda: this onnxruntime-node installation cannot use CUDA");
  });
});
