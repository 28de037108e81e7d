import { describe, expect, it } from "vitest";
import { OnnxError } from "./errors.js";
import { attr, GraphBuilder, graphInitializer, initializerBytes } from "./graph.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof OnnxError ? error.code : `not an OnnxError: ${String(error)}`;
  }
  return undefined;
}

describe("GraphBuilder", () => {
  it("records inputs, initializers and nodes as plain data, in order", () => {
    const g = new GraphBuilder("affine");
    const x = g.input("x", "float32", ["batch", 3]);
    const w = g.initializer("w", Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    const y = g.add(g.matMul(x, w, "proj"), g.float32([0.5, -0.5], "bias"), "proj/bias");
    g.output(y, "y", "float32", ["batch", 2]);
    const graph = g.build();

    expect(graph.inputs).toEqual([{ name: "x", elemType: "float32", dims: ["batch", 3] }]);
    expect(graph.outputs).toEqual([{ name: "y", elemType: "float32", dims: ["batch", 2] }]);
    expect(graph.initializers.map((i) => [i.name, i.dims])).toEqual([
      ["w", [3, 2]],
      ["bias", [2]],
    ]);
    expect(graph.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs])).toEqual([
      ["MatMul", "proj", ["x", "w"], ["proj"]],
      ["Add", "proj/bias", ["proj", "bias"], ["proj/bias"]],
      ["Identity", "y/Identity", ["proj/bias"], ["y"]],
    ]);
    expect(initializerBytes(graph)).toBe(6 * 4 + 2 * 4);
    expect(graphInitializer(graph, "w").data).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6]));
  });

  it("makes names unique by suffixing _1, _2, ... and shares the namespace between nodes and values", () => {
    const g = new GraphBuilder("names");
    const x = g.input("x", "float32", [2]);
    expect(g.sigmoid(x, "act")).toBe("act");
    expect(g.sigmoid(x, "act")).toBe("act_1");
    expect(g.sigmoid(x, "act")).toBe("act_2");
    expect(g.sqrt(x)).toBe("Sqrt");
    expect(g.sqrt(x)).toBe("Sqrt_1");
    expect(g.uniqueName("x")).toBe("x_1");
  });

  it("names the outputs of a multi-output node <name>:<i>", () => {
    const g = new GraphBuilder("split");
    const x = g.input("x", "float32", [4]);
    expect(g.node("Split", [x, g.int64([2, 2], "sizes")], { axis: attr.int(0) }, { outputs: 2, name: "halves" })).toEqual(["halves:0", "halves:1"]);
  });

  it("emits constants for shapes and axes as int64 initializers, and resize scales as float32", () => {
    const g = new GraphBuilder("constants");
    const x = g.input("x", "float32", [1, 1, 2, 2]);
    g.output(g.resize(g.reshape(x, [0, 0, 2, -1]), [1, 1, 2, 2]), "y", "float32", [1, 1, 4, 4]);
    const graph = g.build();
    const shape = graphInitializer(graph, "shape");
    expect(shape.data).toEqual(BigInt64Array.from([0n, 0n, 2n, -1n]));
    expect(graphInitializer(graph, "scales").data).toEqual(Float32Array.from([1, 1, 2, 2]));
    const resize = graph.nodes.find((n) => n.opType === "Resize")!;
    expect(resize.inputs).toEqual(["Reshape", "", "scales"]);
    expect(resize.attributes).toEqual({ mode: attr.string("linear"), coordinate_transformation_mode: attr.string("half_pixel") });
  });

  it("passes Slice its optional inputs positionally, leaving an empty name for omitted axes", () => {
    const g = new GraphBuilder("slice");
    const x = g.input("x", "float32", [8]);
    const y = g.slice(x, { starts: [1], ends: [7], steps: [2] }, "every_other");
    g.output(y, y, "float32", [3]);
    expect(g.build().nodes[0]!.inputs).toEqual(["x", "starts", "ends", "", "steps"]);
  });

  it("refuses a node that uses a value not defined yet", () => {
    const g = new GraphBuilder("wiring");
    g.input("x", "float32", [2]);
    expect(codeOf(() => g.add("x", "y"))).toBe("onnx.graph-invalid");
    expect(() => g.add("x", "y")).toThrow(/uses "y", which is not defined yet/);
  });

  it("refuses duplicate or empty names and initializers whose values do not fill their dims", () => {
    const g = new GraphBuilder("checks");
    g.input("x", "float32", [2]);
    expect(codeOf(() => g.input("x", "float32", [2]))).toBe("onnx.graph-invalid");
    expect(codeOf(() => g.initializer("", new Float32Array(1), [1]))).toBe("onnx.graph-invalid");
    expect(codeOf(() => g.initializer("w", new Float32Array(5), [2, 3]))).toBe("onnx.graph-invalid");
    expect(codeOf(() => g.output("nope", "y", "float32", [2]))).toBe("onnx.graph-invalid");
  });

  it("refuses to build a graph without outputs, and finds no missing initializer", () => {
    const g = new GraphBuilder("empty");
    g.input("x", "float32", [1]);
    expect(codeOf(() => g.build())).toBe("onnx.graph-invalid");
    g.output("x", "x", "float32", [1]);
    expect(g.build().nodes).toEqual([]);
    expect(codeOf(() => graphInitializer(g.build(), "w"))).toBe("onnx.graph-invalid");
  });
});
