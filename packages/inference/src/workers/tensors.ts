/**
 * Tensors as they cross the thread boundary: plain typed arrays with dims (structured clone keeps
 * Float32Array / BigInt64Array). Buffers go in the transfer list so that megabytes of pixels and
 * logits move instead of being copied.
 */

export type InputTensorType = "float32" | "int64";

export interface InputTensor {
  readonly type: InputTensorType;
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export type Feeds = Readonly<Record<string, InputTensor>>;
export type Outputs = Readonly<Record<string, OutputTensor>>;

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/** Refuses a tensor whose data length is not the product of its dims, or whose data type is not its `type`. */
export function checkTensor(name: string, tensor: InputTensor | OutputTensor): void {
  for (const d of tensor.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`tensor ${name}: invalid dimension ${d} in [${tensor.dims.join(", ")}]`);
  }
  const expected = elementCount(tensor.dims);
  if (tensor.data.length !== expected) {
    throw new RangeError(`tensor ${name}: ${tensor.data.length} values for dims [${tensor.dims.join(", ")}] (${expected} expected)`);
  }
  if ("type" in tensor) {
    const ok = tensor.type === "float32" ? tensor.data instanceof Float32Array : tensor.data instanceof BigInt64Array;
    if (!ok) throw new TypeError(`tensor ${name}: type ${tensor.type} but data is ${tensor.data.constructor.name}`);
  }
}

/** Whether posting `data` with its buffer in the transfer list moves exactly `data` (not a larger buffer). */
function ownsWholeBuffer(data: ArrayBufferView): boolean {
  return data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/**
 * Prepares tensors for postMessage. With `transfer`, arrays that own their whole buffer are moved
 * (the caller's arrays are detached afterwards); a view into a larger buffer (e.g. weights read
 * from a safetensors file) is sliced first, otherwise the whole underlying buffer would be copied
 * or detached. Without `transfer`, every array is copied and the copies are moved.
 */
export function forTransfer<T extends InputTensor | OutputTensor>(
  tensors: Readonly<Record<string, T>>,
  transfer: boolean,
): { tensors: Record<string, T>; transferList: ArrayBuffer[] } {
  const out: Record<string, T> = {};
  const transferList = new Set<ArrayBuffer>();
  for (const [name, tensor] of Object.entries(tensors)) {
    let data = tensor.data;
    if (!transfer || !ownsWholeBuffer(data) || transferList.has(data.buffer as ArrayBuffer)) data = data.slice();
    transferList.add(data.buffer as ArrayBuffer);
    out[name] = { ...tensor, data, dims: [...tensor.dims] };
  }
  return { tensors: out, transferList: [...transferList] };
}
