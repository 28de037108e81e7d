import { OnnxError } from "./errors.js";

/**
 * An ONNX graph as plain data, and a builder that keeps names unique and checks wiring as nodes are
 * added, so a mistake fails here with the node's name rather than as an opaque ONNX Runtime error.
 * Operator helpers target the default domain at opset 18 (ReduceMean/ReduceSum/Unsqueeze take their
 * axes as an input tensor; LayerNormalization exists since 17).
 */

export type ElemType = "float32" | "int64" | "int32";
/** A fixed size, or a symbolic one (`dim_param`) such as "batch". */
export type Dim = number | string;
export type TensorData = Float32Array | BigInt64Array | Int32Array;

export interface TensorValue {
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface Initializer extends TensorValue {
  readonly name: string;
}

export interface ValueInfo {
  readonly name: string;
  readonly elemType: ElemType;
  readonly dims: readonly Dim[];
}

export type AttributeValue =
  | { readonly type: "float"; readonly value: number }
  | { readonly type: "int"; readonly value: number }
  | { readonly type: "floats"; readonly value: readonly number[] }
  | { readonly type: "ints"; readonly value: readonly number[] }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "tensor"; readonly value: TensorValue };

/** Attributes are tagged: a JS number alone cannot say whether ONNX wants a float or an int. */
export const attr = {
  float: (value: number): AttributeValue => ({ type: "float", value }),
  int: (value: number): AttributeValue => ({ type: "int", value }),
  floats: (value: readonly number[]): AttributeValue => ({ type: "floats", value }),
  ints: (value: readonly number[]): AttributeValue => ({ type: "ints", value }),
  string: (value: string): AttributeValue => ({ type: "string", value }),
  tensor: (value: TensorValue): AttributeValue => ({ type: "tensor", value }),
};

export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface GraphNode {
  readonly opType: string;
  readonly name: string;
  /** "" stands for an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Attributes;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: readonly Initializer[];
  /** In topological order. */
  readonly nodes: readonly GraphNode[];
}

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/** The initializer of that name; throws when absent (for tests and weight inspection). */
export function graphInitializer(graph: Graph, name: string): Initializer {
  const found = graph.initializers.find((i) => i.name === name);
  if (!found) throw new OnnxError("onnx.graph-invalid", `graph ${graph.name} has no initializer ${JSON.stringify(name)}`, { name });
  return found;
}

/** Total bytes of the initializers' values. */
export function initializerBytes(graph: Graph): number {
  let total = 0;
  for (const i of graph.initializers) total += i.data.byteLength;
  return total;
}

export class GraphBuilder {
  readonly name: string;
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: GraphNode[] = [];
  /** Every value and node name in use: ONNX wants both unique within a graph. */
  private readonly used = new Set<string>();
  /** Values that exist so far (inputs, initializers, node outputs): wiring is checked against it. */
  private readonly defined = new Set<string>();

  constructor(name: string) {
    this.name = name;
  }

  /** `prefix` itself when free, else `prefix_1`, `prefix_2`, ... */
  uniqueName(prefix: string): string {
    let name = prefix;
    for (let n = 1; this.used.has(name); n++) name = `${prefix}_${n}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string, what: string): void {
    if (name === "" || this.used.has(name)) {
      throw new OnnxError("onnx.graph-invalid", `graph ${this.name}: ${what} name ${JSON.stringify(name)} is empty or already used`, { name });
    }
    this.used.add(name);
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.claim(name, "input");
    this.defined.add(name);
    this.inputs.push({ name, elemType, dims: [...dims] });
    return name;
  }

  /** Declares `value` as a graph output called `name` (through an Identity node when they differ). */
  output(value: string, name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.requireDefined(value, `output ${name}`);
    if (value !== name) {
      this.claim(name, "output");
      this.nodes.push({ opType: "Identity", name: this.uniqueName(`${name}/Identity`), inputs: [value], outputs: [name], attributes: {} });
      this.defined.add(name);
    }
    this.outputs.push({ name, elemType, dims: [...dims] });
    return name;
  }

  initializer(name: string, data: TensorData, dims: readonly number[]): string {
    this.claim(name, "initializer");
    return this.addInitializer(name, data, dims);
  }

  /** A 1-D (or scalar, with dims []) int64 constant, named uniquely from `prefix`. */
  int64(values: readonly number[], prefix = "const_i64", dims: readonly number[] = [values.length]): string {
    return this.addInitializer(
      this.uniqueName(prefix),
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );
  }

  /** A float32 constant (scalar by default), named uniquely from `prefix`. */
  float32(values: number | readonly number[], prefix = "const_f32", dims?: readonly number[]): string {
    const list = typeof values === "number" ? [values] : values;
    const shape = dims ?? (typeof values === "number" ? [] : [list.length]);
    return this.addInitializer(this.uniqueName(prefix), Float32Array.from(list), shape);
  }

  /** `name` is already claimed. */
  private addInitializer(name: string, data: TensorData, dims: readonly number[]): string {
    if (data.length !== elementCount(dims)) {
      throw new OnnxError("onnx.graph-invalid", `initializer ${name}: ${data.length} values for dims [${dims.join(", ")}]`, { name, dims });
    }
    this.defined.add(name);
    this.initializers.push({ name, data, dims: [...dims] });
    return name;
  }

  private requireDefined(value: string, user: string): void {
    if (!this.defined.has(value)) {
      throw new OnnxError("onnx.graph-invalid", `graph ${this.name}: ${user} uses ${JSON.stringify(value)}, which is not defined yet`, { value, user });
    }
  }

  /** Adds a node; returns its output names (`<name>` for one output, `<name>:<i>` for several). */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, options: { outputs?: number; name?: string } = {}): string[] {
    const name = this.uniqueName(options.name ?? opType);
    for (const input of inputs) if (input !== "") this.requireDefined(input, `node ${name} (${opType})`);
    const count = options.outputs ?? 1;
    const outputs = count === 1 ? [name] : Array.from({ length: count }, (_, i) => this.uniqueName(`${name}:${i}`));
    for (const output of outputs) this.defined.add(output);
    this.nodes.push({ opType, name, inputs: [...inputs], outputs, attributes });
    return outputs;
  }

  /** A single-output node. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, name?: string): string {
    return this.node(opType, inputs, attributes, name === undefined ? {} : { name })[0]!;
  }

  matMul(a: string, b: string, name?: string): string {
    return this.op("MatMul", [a, b], {}, name);
  }
  add(a: string, b: string, name?: string): string {
    return this.op("Add", [a, b], {}, name);
  }
  sub(a: string, b: string, name?: string): string {
    return this.op("Sub", [a, b], {}, name);
  }
  mul(a: string, b: string, name?: string): string {
    return this.op("Mul", [a, b], {}, name);
  }
  div(a: string, b: string, name?: string): string {
    return this.op("Div", [a, b], {}, name);
  }
  max(a: string, b: string, name?: string): string {
    return this.op("Max", [a, b], {}, name);
  }
  sigmoid(x: string, name?: string): string {
    return this.op("Sigmoid", [x], {}, name);
  }
  sqrt(x: string, name?: string): string {
    return this.op("Sqrt", [x], {}, name);
  }
  softmax(x: string, axis = -1, name?: string): string {
    return this.op("Softmax", [x], { axis: attr.int(axis) }, name);
  }
  /** Normalises over the dims from `axis` on; scale and bias have those dims' shape. */
  layerNormalization(x: string, scale: string, bias: string, options: { axis?: number; epsilon?: number } = {}, name?: string): string {
    const attributes = { axis: attr.int(options.axis ?? -1), epsilon: attr.float(options.epsilon ?? 1e-5) };
    return this.op("LayerNormalization", [x, scale, bias], attributes, name);
  }
  /** ONNX Reshape: 0 copies the input's size on that axis, -1 is inferred. */
  reshape(x: string, shape: readonly number[], name?: string): string {
    return this.op("Reshape", [x, this.int64(shape, "shape")], {}, name);
  }
  transpose(x: string, perm: readonly number[], name?: string): string {
    return this.op("Transpose", [x], { perm: attr.ints(perm) }, name);
  }
  concat(inputs: readonly string[], axis: number, name?: string): string {
    return this.op("Concat", inputs, { axis: attr.int(axis) }, name);
  }
  gather(data: string, indices: string, axis = 0, name?: string): string {
    return this.op("Gather", [data, indices], { axis: attr.int(axis) }, name);
  }
  unsqueeze(x: string, axes: readonly number[], name?: string): string {
    return this.op("Unsqueeze", [x, this.int64(axes, "axes")], {}, name);
  }
  slice(x: string, range: { starts: readonly number[]; ends: readonly number[]; axes?: readonly number[]; steps?: readonly number[] }, name?: string): string {
    const inputs = [x, this.int64(range.starts, "starts"), this.int64(range.ends, "ends")];
    if (range.axes || range.steps) inputs.push(range.axes ? this.int64(range.axes, "axes") : "");
    if (range.steps) inputs.push(this.int64(range.steps, "steps"));
    return this.op("Slice", inputs, {}, name);
  }
  conv(
    x: string,
    weight: string,
    bias: string | null,
    options: { kernelShape: readonly number[]; strides?: readonly number[]; pads?: readonly number[]; dilations?: readonly number[]; group?: number },
    name?: string,
  ): string {
    const attributes: Record<string, AttributeValue> = { kernel_shape: attr.ints(options.kernelShape) };
    if (options.strides) attributes["strides"] = attr.ints(options.strides);
    if (options.pads) attributes["pads"] = attr.ints(options.pads);
    if (options.dilations) attributes["dilations"] = attr.ints(options.dilations);
    if (options.group !== undefined) attributes["group"] = attr.int(options.group);
    return this.op("Conv", bias === null ? [x, weight] : [x, weight, bias], attributes, name);
  }
  reduceMean(x: string, axes: readonly number[], keepdims = true, name?: string): string {
    return this.op("ReduceMean", [x, this.int64(axes, "axes")], { keepdims: attr.int(keepdims ? 1 : 0) }, name);
  }
  reduceSum(x: string, axes: readonly number[], keepdims = true, name?: string): string {
    return this.op("ReduceSum", [x, this.int64(axes, "axes")], { keepdims: attr.int(keepdims ? 1 : 0) }, name);
  }
  /**
   * Resize by constant per-axis scales. `linear` with `half_pixel` is PyTorch's bilinear
   * interpolation with align_corners=False.
   */
  resize(x: string, scales: readonly number[], options: { mode?: "nearest" | "linear" | "cubic"; coordinateTransformationMode?: string } = {}, name?: string): string {
    const attributes = {
      mode: attr.string(options.mode ?? "linear"),
      coordinate_transformation_mode: attr.string(options.coordinateTransformationMode ?? "half_pixel"),
    };
    return this.op("Resize", [x, "", this.float32(scales, "scales")], attributes, name);
  }
  /** The input's shape (or the [start, end) part of it) as an int64 vector. */
  shape(x: string, range: { start?: number; end?: number } = {}, name?: string): string {
    const attributes: Record<string, AttributeValue> = {};
    if (range.start !== undefined) attributes["start"] = attr.int(range.start);
    if (range.end !== undefined) attributes["end"] = attr.int(range.end);
    return this.op("Shape", [x], attributes, name);
  }
  /** Broadcasts x to `shape` (an int64 vector value). */
  expand(x: string, shape: string, name?: string): string {
    return this.op("Expand", [x, shape], {}, name);
  }

  /** The graph so far, as plain data; every declared output must exist. */
  build(): Graph {
    if (this.outputs.length === 0) throw new OnnxError("onnx.graph-invalid", `graph ${this.name} has no outputs`);
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
    };
  }
}
