import { onnx } from "@semla/models";
import type { OrtFeed, OrtOutput } from "../runtime/ort.js";

/**
 * Tensors as they cross the thread boundary: plain typed arrays with dims (structured clone keeps
 * Float32Array / BigInt64Array). Buffers go in the transfer list so that megabytes of pixels and
 * logits move instead of being copied.
 */

/** The runtime's own feed and output shapes: what crosses the thread boundary is what ort.ts takes and gives. */
export type InputTensor = OrtFeed;
export type OutputTensor = Readonly<OrtOutput>;

export type Feeds = Readonly<Record<string, InputTensor>>;
export type Outputs = Readonly<Record<string, OutputTensor>>;

/**
 * Refuses a tensor whose data length is not the product of its dims, or whose data type is not its
 * `type`, on the caller's thread: before its buffer is transferred away and a worker is busied
 * (ort.ts checks feeds again, as it is also used directly).
 */
export function checkTensor(name: string, tensor: InputTensor | OutputTensor): void {
  for (const d of tensor.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`tensor ${name}: invalid dimension ${d} in [${tensor.dims.join(", ")}]`);
  }
  const expected = onnx.elementCount(tensor.dims);
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
export function forTransfer<T extends InputTensor | OutputTensor>(tensors: Readonly<Record<string, T>>, transfer: boolean): { tensors: Record<string, T>; transferList: ArrayBuffer[] } {
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
