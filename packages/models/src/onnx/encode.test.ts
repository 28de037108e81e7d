import { describe, expect, it } from "vitest";
import { concatParts, encodeModel, encodeModelParts, ONNX_OPSET } from "./encode.js";
import type { OnnxError } from "./errors.js";
import { attr, type Graph, GraphBuilder } from "./graph.js";
import { decodeModelProto, OnnxAttributeType, OnnxDataLocation, OnnxDataType } from "./onnx-proto.js";

/** x [batch, 4] · w [4, 600] + b, then a few attribute kinds on an Identity-free chain. */
function sampleGraph(): Graph {
  const g = new GraphBuilder("sample");
  const x = g.input("x", "float32", ["batch", 4]);
  const ids = g.input("ids", "int64", ["batch"]);
  const w = g.initializer(
    "w",
    Float32Array.from({ length: 4 * 600 }, (_, i) => i / 7),
    [4, 600],
  );
  const b = g.initializer("b", Float32Array.from([1.5, -2.25]), [2]);
  const table = g.initializer("table", Int32Array.from([7, -8, 9]), [3]);
  g.node("Custom", [x, w, b, table, ids], { f: attr.float(0.25), i: attr.int(-3), fs: attr.floats([0.5, 2]), is: attr.ints([1, -1]), s: attr.string("héllo") });
  g.output("Custom", "y", "float32", ["batch", 600]);
  return g.build();
}

function bytesOf(data: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

describe("encodeModel", () => {
  it("writes the official ModelProto fields: IR 8 for opset 18, the producer, metadata", () => {
    const model = decodeModelProto(encodeModel(sampleGraph(), { producer: { name: "test", version: "9" }, metadata: { a: "1" }, docString: "d" }));
    expect(model.ir_version).toBe(8);
    expect(model.opset_import).toEqual([{ domain: "", version: ONNX_OPSET }]);
    expect(model.producer_name).toBe("test");
    expect(model.producer_version).toBe("9");
    expect(model.doc_string).toBe("d");
    expect(model.metadata_props).toEqual([{ key: "a", value: "1" }]);
  });

  it("writes inputs and outputs with element types and fixed or symbolic dims", () => {
    const graph = decodeModelProto(encodeModel(sampleGraph())).graph!;
    expect(graph.name).toBe("sample");
    expect(graph.input).toEqual([
      { name: "x", type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: "batch" }, { dim_value: 4 }] } } } },
      { name: "ids", type: { tensor_type: { elem_type: OnnxDataType.INT64, shape: { dim: [{ dim_param: "batch" }] } } } },
    ]);
    expect(graph.output).toEqual([{ name: "y", type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: "batch" }, { dim_value: 600 }] } } } }]);
  });

  it("writes every attribute kind with its type discriminator", () => {
    const node = decodeModelProto(encodeModel(sampleGraph())).graph!.node.find((n) => n.op_type === "Custom")!;
    expect(node.input).toEqual(["x", "w", "b", "table", "ids"]);
    expect(node.output).toEqual(["Custom"]);
    const byName = Object.fromEntries(node.attribute.map((a) => [a.name, a]));
    expect(byName["f"]).toMatchObject({ type: OnnxAttributeType.FLOAT, f: 0.25 });
    expect(byName["i"]).toMatchObject({ type: OnnxAttributeType.INT, i: -3 });
    expect(byName["fs"]).toMatchObject({ type: OnnxAttributeType.FLOATS, floats: [0.5, 2] });
    expect(byName["is"]).toMatchObject({ type: OnnxAttributeType.INTS, ints: [1, -1] });
    expect(byName["s"]!.type).toBe(OnnxAttributeType.STRING);
    expect(new TextDecoder().decode(byName["s"]!.s)).toBe("héllo");
  });

  it("stores initializers as raw little-endian bytes with their dims and data type", () => {
    const graph = sampleGraph();
    const decoded = decodeModelProto(encodeModel(graph)).graph!;
    expect(decoded.initializer!.map((t) => [t.name, t.dims, t.data_type])).toEqual([
      ["w", [4, 600], OnnxDataType.FLOAT],
      ["b", [2], OnnxDataType.FLOAT],
      ["table", [3], OnnxDataType.INT32],
    ]);
    const b = decoded.initializer![1]!;
    expect(Array.from(new Float32Array(b.raw_data!.slice().buffer))).toEqual([1.5, -2.25]);
    expect(Array.from(decoded.initializer![0]!.raw_data!)).toEqual(Array.from(bytesOf(graph.initializers[0]!.data as Float32Array)));
    expect(Array.from(new Int32Array(decoded.initializer![2]!.raw_data!.slice().buffer))).toEqual([7, -8, 9]);
  });

  it("splices tensor bytes in as views: the parts join to the same bytes as encodeModel", () => {
    const graph = sampleGraph();
    const { model, externalData } = encodeModelParts(graph);
    expect(externalData).toBeNull();
    expect(concatParts(model)).toEqual(encodeModel(graph));
    expect(model.parts.some((p) => p.buffer === graph.initializers[0]!.data.buffer)).toBe(true);
  });

  it("moves initializers over the threshold to external data at aligned offsets", () => {
    const graph = sampleGraph();
    const { model, externalData } = encodeModel(graph, { externalData: { location: "sample.onnx.data", thresholdBytes: 4, alignment: 64 } });
    // w (9600 bytes) and table (12 bytes) go out; b (8 bytes) is over 4 too: all three.
    expect(externalData.entries).toEqual([
      { name: "w", location: "sample.onnx.data", offset: 0, length: 9600 },
      { name: "b", location: "sample.onnx.data", offset: 9600, length: 8 },
      { name: "table", location: "sample.onnx.data", offset: 9664, length: 12 },
    ]);
    const data = concatParts(externalData);
    expect(externalData.byteLength).toBe(9676);
    expect(data.subarray(9600, 9608)).toEqual(bytesOf(Float32Array.from([1.5, -2.25])));
    expect(Array.from(data.subarray(9608, 9664)).every((v) => v === 0)).toBe(true);

    const tensors = decodeModelProto(model).graph!.initializer!;
    expect(tensors[1]).toMatchObject({
      name: "b",
      data_location: OnnxDataLocation.EXTERNAL,
      external_data: [
        { key: "location", value: "sample.onnx.data" },
        { key: "offset", value: "9600" },
        { key: "length", value: "8" },
      ],
    });
    expect(tensors[1]!.raw_data?.length ?? 0).toBe(0);
  });

  it("keeps small initializers inline under the default 1 KiB threshold and 4 KiB alignment", () => {
    const { externalData } = encodeModel(sampleGraph(), { externalData: { location: "d.bin" } });
    expect(externalData.entries).toEqual([{ name: "w", location: "d.bin", offset: 0, length: 9600 }]);
  });

  it("refuses an opset it has no IR version for, and a bad external data spec", () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as OnnxError).code;
      }
      return undefined;
    };
    expect(codeOf(() => encodeModel(sampleGraph(), { opset: 11 }))).toBe("onnx.config-invalid");
    expect(codeOf(() => encodeModel(sampleGraph(), { externalData: { location: "" } }))).toBe("onnx.config-invalid");
    expect(codeOf(() => encodeModel(sampleGraph(), { externalData: { location: "d", alignment: 0 } }))).toBe("onnx.config-invalid");
  });
});
