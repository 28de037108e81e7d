import protobuf from "protobufjs";

/**
 * The part of the ONNX protobuf schema this project writes: a model, its graph, nodes, attributes,
 * typed inputs/outputs and tensors (inline raw bytes or external data). Field numbers are the official
 * ones (onnx/onnx.proto); everything we never emit (training info, sparse tensors, functions,
 * sequence/map types, quantization annotations) is left out. Unknown fields are skipped by every
 * protobuf reader, so a subset is enough for writing models ONNX Runtime loads.
 */
const ONNX_SUBSET_SCHEMA = `
syntax = "proto2";
package onnx;

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;   // "" is the default ai.onnx operator set
  optional int64 version = 2;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;     // a symbolic size, e.g. "batch"
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;   // a TensorProto.DataType
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0;
    FLOAT = 1;
    UINT8 = 2;
    INT8 = 3;
    UINT16 = 4;
    INT16 = 5;
    INT32 = 6;
    INT64 = 7;
    STRING = 8;
    BOOL = 9;
    FLOAT16 = 10;
    DOUBLE = 11;
    UINT32 = 12;
    UINT64 = 13;
    COMPLEX64 = 14;
    COMPLEX128 = 15;
    BFLOAT16 = 16;
  }
  enum DataLocation {
    DEFAULT = 0;    // raw_data or a typed field holds the values
    EXTERNAL = 1;   // external_data says which file and byte range does
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;        // fixed-width little-endian values
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;   // keys: location, offset, length
  optional DataLocation data_location = 14;
}

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSOR = 11;
    SPARSE_TENSORS = 12;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;               // UTF-8
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  optional string doc_string = 13;
  optional AttributeType type = 20;   // which of the value fields is set
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

/** TensorProto.DataLocation. */
export const OnnxDataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** AttributeProto.AttributeType values used here. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/* Plain-object shapes of the messages, as protobufjs encodes them (snake_case: keepCase). */

export interface StringStringEntryFields {
  key: string;
  value: string;
}

export interface DimensionFields {
  dim_value?: number;
  dim_param?: string;
}

export interface ValueInfoFields {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: DimensionFields[] } } };
  doc_string?: string;
}

export interface TensorFields {
  name?: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  external_data?: StringStringEntryFields[];
  data_location?: number;
  doc_string?: string;
}

export interface AttributeFields {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorFields;
  floats?: number[];
  ints?: number[];
}

export interface NodeFields {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: AttributeFields[];
  doc_string?: string;
}

export interface GraphFields {
  name: string;
  node: NodeFields[];
  initializer?: TensorFields[];
  input: ValueInfoFields[];
  output: ValueInfoFields[];
  doc_string?: string;
}

export interface ModelFields {
  ir_version: number;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphFields;
  opset_import: { domain: string; version: number }[];
  metadata_props?: StringStringEntryFields[];
}

interface OnnxTypes {
  readonly model: protobuf.Type;
  readonly graph: protobuf.Type;
  readonly tensor: protobuf.Type;
  readonly node: protobuf.Type;
  readonly valueInfo: protobuf.Type;
}

let types: OnnxTypes | undefined;

/** Parsed on first use only: most processes importing the models package never write a model. */
function onnxTypes(): OnnxTypes {
  if (!types) {
    const root = protobuf.parse(ONNX_SUBSET_SCHEMA, { keepCase: true }).root;
    types = {
      model: root.lookupType("onnx.ModelProto"),
      graph: root.lookupType("onnx.GraphProto"),
      tensor: root.lookupType("onnx.TensorProto"),
      node: root.lookupType("onnx.NodeProto"),
      valueInfo: root.lookupType("onnx.ValueInfoProto"),
    };
  }
  return types;
}

export function encodeModelProto(fields: ModelFields): Uint8Array {
  return onnxTypes().model.encode(fields).finish();
}

export function encodeGraphProto(fields: GraphFields): Uint8Array {
  return onnxTypes().graph.encode(fields).finish();
}

export function encodeTensorProto(fields: TensorFields): Uint8Array {
  return onnxTypes().tensor.encode(fields).finish();
}

/**
 * Decodes a ModelProto into plain objects (int64 as numbers, bytes as Uint8Array, enums as numbers):
 * for tests and inspection of what was written.
 */
export function decodeModelProto(bytes: Uint8Array): ModelFields {
  const type = onnxTypes().model;
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, arrays: true }) as ModelFields;
}

export function encodeNodeProto(fields: NodeFields): Uint8Array {
  return onnxTypes().node.encode(fields).finish();
}

export function encodeValueInfoProto(fields: ValueInfoFields): Uint8Array {
  return onnxTypes().valueInfo.encode(fields).finish();
}

/** A node as plain objects (attributes of the subset's types; others are skipped): for reading a graph, never for rewriting it. */
export function decodeNodeProto(bytes: Uint8Array): NodeFields {
  const type = onnxTypes().node;
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, arrays: true, defaults: true }) as NodeFields;
}
