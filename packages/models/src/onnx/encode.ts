import { OnnxError } from "./errors.js";
import type { AttributeValue, ElemType, Graph, Initializer, TensorData, TensorValue, ValueInfo } from "./graph.js";
import {
  type AttributeFields,
  encodeGraphProto,
  encodeModelProto,
  encodeTensorProto,
  OnnxAttributeType,
  OnnxDataLocation,
  OnnxDataType,
  type TensorFields,
  type ValueInfoFields,
} from "./onnx-proto.js";

/**
 * Graph → ONNX bytes. Tensor values are never copied into a protobuf writer: each initializer's
 * header is encoded by protobufjs and its raw little-endian bytes are spliced in as a view, with the
 * enclosing length prefixes computed by hand. A model is therefore a list of parts; a file writer can
 * stream them (a ViT-B/16 model is written while holding its weights once), and `encodeModel` joins
 * them with a single copy. Protobuf messages cannot exceed 2 GiB, so larger models must move
 * initializers to an external data file, which ONNX Runtime reads when it loads the model by path.
 */

/** The operator set the graph helpers target (ReduceMean/ReduceSum take axes as an input). */
export const ONNX_OPSET = 18;

/** The IR version each supported opset ships with (onnx/docs/Versioning.md). */
const IR_VERSION_FOR_OPSET: Readonly<Record<number, number>> = { 18: 8, 19: 9, 20: 9, 21: 10 };

/** Protobuf's hard limit on one message. */
export const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;

export interface EncodeOptions {
  /** Default ONNX_OPSET. */
  readonly opset?: number;
  readonly producer?: { readonly name: string; readonly version?: string };
  readonly docString?: string;
  /** Written as ModelProto.metadata_props (ONNX Runtime exposes them as custom metadata). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ExternalDataOptions {
  /** File name of the data file, relative to the directory the model file will be loaded from. */
  readonly location: string;
  /** Initializers with more bytes than this go to the data file (default 1024). */
  readonly thresholdBytes?: number;
  /** Each tensor starts at a multiple of this (default 4096: page size, so the runtime can mmap). */
  readonly alignment?: number;
}

export interface ExternalDataEntry {
  readonly name: string;
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/** Bytes as a sequence of views: the file is their concatenation. */
export interface ByteParts {
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
}

export interface ExternalDataParts extends ByteParts {
  readonly location: string;
  readonly entries: readonly ExternalDataEntry[];
}

export interface EncodedModelParts {
  readonly model: ByteParts;
  readonly externalData: ExternalDataParts | null;
}

export interface ModelWithExternalData {
  readonly model: Uint8Array;
  readonly externalData: ExternalDataParts;
}

const ELEM_TYPE_CODES: Readonly<Record<ElemType, number>> = {
  float32: OnnxDataType.FLOAT,
  int64: OnnxDataType.INT64,
  int32: OnnxDataType.INT32,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dataTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return OnnxDataType.FLOAT;
  if (data instanceof BigInt64Array) return OnnxDataType.INT64;
  return OnnxDataType.INT32;
}

/** The values as ONNX raw_data wants them: fixed-width little-endian (a view when the host is). */
function littleEndianBytes(data: TensorData): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  if (data instanceof Float32Array)
    data.forEach((v, i) => {
      view.setFloat32(4 * i, v, true);
    });
  else if (data instanceof BigInt64Array)
    data.forEach((v, i) => {
      view.setBigInt64(8 * i, v, true);
    });
  else
    data.forEach((v, i) => {
      view.setInt32(4 * i, v, true);
    });
  return bytes;
}

/** Protobuf base-128 varint of a non-negative integer up to 2^53 (plain arithmetic: no 32-bit ops). */
function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** Tag of a length-delimited field (wire type 2). */
function lengthDelimitedTag(field: number): Uint8Array {
  return varint(field * 8 + 2);
}

class PartsWriter implements ByteParts {
  readonly parts: Uint8Array[] = [];
  byteLength = 0;

  push(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) {
      if (chunk.byteLength === 0) continue;
      this.parts.push(chunk);
      this.byteLength += chunk.byteLength;
    }
  }

  /** A length-delimited field holding the given parts. */
  pushField(field: number, content: ByteParts): void {
    this.push(lengthDelimitedTag(field), varint(content.byteLength), ...content.parts);
  }
}

function tensorFields(name: string | undefined, value: TensorValue): TensorFields {
  const fields: TensorFields = { dims: [...value.dims], data_type: dataTypeOf(value.data) };
  if (name !== undefined) fields.name = name;
  return fields;
}

function attributeFields(name: string, value: AttributeValue): AttributeFields {
  switch (value.type) {
    case "float":
      return { name, type: OnnxAttributeType.FLOAT, f: value.value };
    case "int":
      return { name, type: OnnxAttributeType.INT, i: value.value };
    case "floats":
      return { name, type: OnnxAttributeType.FLOATS, floats: [...value.value] };
    case "ints":
      return { name, type: OnnxAttributeType.INTS, ints: [...value.value] };
    case "string":
      return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value.value) };
    case "tensor":
      // Attribute tensors are small (constants): an inline copy is fine here.
      return { name, type: OnnxAttributeType.TENSOR, t: { ...tensorFields(undefined, value.value), raw_data: littleEndianBytes(value.value.data).slice() } };
  }
}

function valueInfoFields(info: ValueInfo): ValueInfoFields {
  const dim = info.dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d }));
  return { name: info.name, type: { tensor_type: { elem_type: ELEM_TYPE_CODES[info.elemType], shape: { dim } } } };
}

function irVersion(opset: number): number {
  const ir = IR_VERSION_FOR_OPSET[opset];
  if (ir === undefined) {
    throw new OnnxError("onnx.config-invalid", `opset ${opset} is not supported (supported: ${Object.keys(IR_VERSION_FOR_OPSET).join(", ")})`, { opset });
  }
  return ir;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The model as parts (views of the graph's tensors), plus the external data file's parts when asked. */
export function encodeModelParts(graph: Graph, options: EncodeOptions & { externalData?: ExternalDataOptions } = {}): EncodedModelParts {
  const opset = options.opset ?? ONNX_OPSET;
  const external = options.externalData;
  const threshold = external?.thresholdBytes ?? 1024;
  const alignment = external?.alignment ?? 4096;
  if (external && (!Number.isInteger(alignment) || alignment < 1 || external.location === "")) {
    throw new OnnxError("onnx.config-invalid", "external data needs a location and a positive integer alignment", { ...external });
  }

  const graphParts = new PartsWriter();
  graphParts.push(
    encodeGraphProto({
      name: graph.name,
      node: graph.nodes.map((node) => ({
        input: [...node.inputs],
        output: [...node.outputs],
        name: node.name,
        op_type: node.opType,
        attribute: Object.entries(node.attributes).map(([name, value]) => attributeFields(name, value)),
      })),
      input: graph.inputs.map(valueInfoFields),
      output: graph.outputs.map(valueInfoFields),
    }),
  );

  const dataParts = new PartsWriter();
  const entries: ExternalDataEntry[] = [];
  const zeros = new Uint8Array(alignment);
  for (const initializer of graph.initializers) {
    const raw = littleEndianBytes(initializer.data);
    const tensor = new PartsWriter();
    if (external && raw.byteLength > threshold) {
      const offset = alignUp(dataParts.byteLength, alignment);
      dataParts.push(zeros.subarray(0, offset - dataParts.byteLength), raw);
      entries.push({ name: initializer.name, location: external.location, offset, length: raw.byteLength });
      tensor.push(encodeTensorProto(externalTensorFields(initializer, external.location, offset, raw.byteLength)));
    } else {
      tensor.push(encodeTensorProto(tensorFields(initializer.name, initializer)));
      tensor.pushField(9, { parts: [raw], byteLength: raw.byteLength }); // TensorProto.raw_data
    }
    graphParts.pushField(5, tensor); // GraphProto.initializer
  }

  const model = new PartsWriter();
  const metadata = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
  model.push(
    encodeModelProto({
      ir_version: irVersion(opset),
      producer_name: options.producer?.name ?? "semla",
      ...(options.producer?.version !== undefined ? { producer_version: options.producer.version } : {}),
      ...(options.docString !== undefined ? { doc_string: options.docString } : {}),
      opset_import: [{ domain: "", version: opset }],
      ...(metadata.length > 0 ? { metadata_props: metadata } : {}),
    }),
  );
  model.pushField(7, graphParts); // ModelProto.graph
  if (model.byteLength > MAX_PROTOBUF_BYTES) {
    throw new OnnxError("onnx.model-too-large", `model ${graph.name} would be ${model.byteLength} bytes, over protobuf's 2 GiB limit: move initializers to external data`, {
      byteLength: model.byteLength,
    });
  }
  return { model, externalData: external ? { location: external.location, entries, parts: dataParts.parts, byteLength: dataParts.byteLength } : null };
}

function externalTensorFields(initializer: Initializer, location: string, offset: number, length: number): TensorFields {
  return {
    ...tensorFields(initializer.name, initializer),
    data_location: OnnxDataLocation.EXTERNAL,
    external_data: [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ],
  };
}

/** Joins parts into one buffer (one copy). */
export function concatParts(bytes: ByteParts): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  let offset = 0;
  for (const part of bytes.parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * The model as one ONNX file's bytes; with `externalData`, initializers above the threshold are
 * left out of it and described by (location, offset, length) entries into the data file's parts.
 */
export function encodeModel(graph: Graph, options?: EncodeOptions): Uint8Array;
export function encodeModel(graph: Graph, options: EncodeOptions & { externalData: ExternalDataOptions }): ModelWithExternalData;
export function encodeModel(graph: Graph, options: EncodeOptions & { externalData?: ExternalDataOptions } = {}): Uint8Array | ModelWithExternalData {
  const { model, externalData } = encodeModelParts(graph, options);
  const bytes = concatParts(model);
  return externalData ? { model: bytes, externalData } : bytes;
}
