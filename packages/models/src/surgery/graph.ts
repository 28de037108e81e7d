import { decodeNodeProto, type NodeFields } from "../onnx/onnx-proto.js";
import { payload, stringValue, varintList, varintValue, type WireField, wireFields } from "./wire.js";

/**
 * What surgery needs to know about an exported model, read at the wire level: the graph's nodes
 * (decoded: op, name, inputs, outputs, attributes), its initializers' names, shapes, types and
 * external-data files (never their values), and its input names. ModelProto field 7 is the graph;
 * GraphProto fields: 1 node, 5 initializer, 11 input, 12 output (onnx/onnx.proto).
 */

export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
const TENSOR_DIMS = 1;
const TENSOR_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const VALUE_INFO_NAME = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

export interface GraphNode {
  /** Position among the graph's nodes (their order is topological). */
  readonly index: number;
  readonly fields: NodeFields;
  /** The node's bytes in the model (for copying it, or rewriting its outputs). */
  readonly bytes: Uint8Array;
}

export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType (1 float32, 10 float16, …). */
  readonly dataType: number;
  /** The external data file holding its values, if any. */
  readonly location: string | null;
}

export interface ModelGraph {
  readonly model: Uint8Array;
  readonly modelFields: readonly WireField[];
  readonly graphField: WireField;
  readonly graph: Uint8Array;
  readonly graphFields: readonly WireField[];
  readonly nodes: readonly GraphNode[];
  readonly initializers: ReadonlyMap<string, Initializer>;
  readonly inputs: readonly string[];
  /** For each tensor name, the nodes that consume it. */
  readonly consumers: ReadonlyMap<string, readonly GraphNode[]>;
  /** For each tensor name, the node that produces it. */
  readonly producer: ReadonlyMap<string, GraphNode>;
  /** External data files the initializers name. */
  readonly externalData: readonly string[];
}

function readInitializer(bytes: Uint8Array): Initializer {
  const fields = wireFields(bytes);
  let name = "";
  let dataType = 0;
  let location: string | null = null;
  for (const f of fields) {
    if (f.field === TENSOR_NAME) name = stringValue(bytes, f);
    else if (f.field === TENSOR_TYPE) dataType = varintValue(bytes, f);
    else if (f.field === TENSOR_EXTERNAL_DATA) {
      const entry = payload(bytes, f);
      const entryFields = wireFields(entry);
      const key = entryFields.find((e) => e.field === ENTRY_KEY);
      const value = entryFields.find((e) => e.field === ENTRY_VALUE);
      if (key && value && stringValue(entry, key) === "location") location = stringValue(entry, value);
    }
  }
  return { name, dims: varintList(bytes, fields, TENSOR_DIMS), dataType, location };
}

export function readModelGraph(model: Uint8Array): ModelGraph {
  const modelFields = wireFields(model);
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH);
  if (!graphField) throw new RangeError("the model has no graph");
  const graph = payload(model, graphField);
  const graphFields = wireFields(graph);
  const nodes: GraphNode[] = [];
  const initializers = new Map<string, Initializer>();
  const inputs: string[] = [];
  for (const f of graphFields) {
    if (f.field === GRAPH_NODE) {
      const bytes = payload(graph, f);
      nodes.push({ index: nodes.length, fields: decodeNodeProto(bytes), bytes });
    } else if (f.field === GRAPH_INITIALIZER) {
      const initializer = readInitializer(payload(graph, f));
      initializers.set(initializer.name, initializer);
    } else if (f.field === GRAPH_INPUT) {
      const info = payload(graph, f);
      const name = wireFields(info).find((g) => g.field === VALUE_INFO_NAME);
      if (name) inputs.push(stringValue(info, name));
    }
  }
  const consumers = new Map<string, GraphNode[]>();
  const producer = new Map<string, GraphNode>();
  for (const node of nodes) {
    for (const input of node.fields.input) {
      if (!input) continue;
      const list = consumers.get(input);
      if (list) list.push(node);
      else consumers.set(input, [node]);
    }
    for (const output of node.fields.output) producer.set(output, node);
  }
  const externalData = [...new Set([...initializers.values()].flatMap((i) => (i.location ? [i.location] : [])))];
  return { model, modelFields, graphField, graph, graphFields, nodes, initializers, inputs, consumers, producer, externalData };
}

/** An int attribute of a node, or its default. */
export function intAttribute(node: NodeFields, name: string, fallback: number): number {
  const found = node.attribute.find((a) => a.name === name);
  return found?.i ?? fallback;
}

export function floatAttribute(node: NodeFields, name: string, fallback: number): number {
  const found = node.attribute.find((a) => a.name === name);
  return found?.f ?? fallback;
}
