import { encodeNodeProto, encodeTensorProto, OnnxAttributeType, OnnxDataType, type TensorFields } from "../onnx/onnx-proto.js";
import { LORA_BANK_INDICES, LORA_BANK_WEIGHTS, loraBankNames } from "../tensor-names.js";
import { onnxNode, type PreparedGraph, preparedModules, prepareTargets, rewireSites, targetSites, tensorInput } from "./prepare.js";
import type { LoraBank } from "./stack-bank.js";

/**
 * Bank mode: a plain export made to serve every mixture of one library's adapters without fusing.
 * Each targeted layer y = x·Wᵀ (+ b) holds the library's bank (stack-bank: A [n, r, in] and s·Bᵀ
 * [n, r, out], initializers of the graph), and the graph takes per image only a plan —
 * `lora_bank.indices` int64 [N, k] and `lora_bank.weights` float32 [N, k] — and computes
 *   y += Σᵢ wᵢ·(x·Aᵢᵀ)·(sᵢBᵢ)ᵀ   per image,
 * as the cat-fused adapter of that plan would (A′ = rows(Aᵢ), B′ = cols(wᵢsᵢBᵢ)): Gather the plan's
 * factors, [N, k·r, in] and [N, k·r, out] (B weighted), then two batched MatMuls. The layer's input is
 * read batch first ([N, …, in], rows of one image together, as a batch-first export and a Gemm over
 * its flattened [N·L, in] input are): it is viewed as [N, -1, in] and the update reshaped back to y's
 * shape. A sequence-first export ([L, N, in]) is not supported.
 */

export interface PreparedBankGraph extends PreparedGraph {
  /** Adapters in the bank (a plan's indices are below it). */
  readonly size: number;
}

const int64s = (values: readonly number[]): TensorFields => ({
  dims: [values.length],
  data_type: OnnxDataType.INT64,
  raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});

/** A Constant node holding int64 `values`. */
const constant = (name: string, output: string, values: readonly number[]) =>
  encodeNodeProto({ op_type: "Constant", name, input: [], output: [output], attribute: [{ name: "value", type: OnnxAttributeType.TENSOR, t: int64s(values) }], domain: "" });

const floats = (name: string, dims: number[], data: Float32Array) =>
  encodeTensorProto({ name, dims, data_type: OnnxDataType.FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });

/** `model` (an ONNX ModelProto's bytes) with `bank` baked in on its modules; `mapping` as prepareSegmenter's. */
export function prepareBankSegmenter(model: Uint8Array, bank: LoraBank, mapping: ReadonlyMap<string, string> = new Map()): PreparedBankGraph {
  const byName = new Map(bank.modules.map((m) => [m.name, m]));
  const targets = prepareTargets(
    bank.modules.map((m) => m.name),
    { description: "the bank's modules", shapes: new Map(bank.modules.map((m) => [m.name, { inFeatures: m.inFeatures, outFeatures: m.outFeatures }])) },
  );
  const { graph, sites } = targetSites(model, targets, mapping);
  let batch = "";
  let weights4 = "";
  const rewired = rewireSites(graph, sites, {
    prologue: (fresh) => {
      const indexShape = fresh("/lora_bank/indices_shape");
      const zero = fresh("/lora_bank/zero");
      const shape4 = fresh("/lora_bank/weights_shape");
      batch = fresh("/lora_bank/batch");
      weights4 = fresh("/lora_bank/weights4");
      return [
        onnxNode("Shape", `${indexShape}_node`, [LORA_BANK_INDICES], [indexShape]),
        constant(`${zero}_node`, zero, [0]),
        onnxNode("Gather", `${batch}_node`, [indexShape, zero], [batch], undefined, 0),
        constant(`${shape4}_node`, shape4, [0, 0, 1, 1]),
        onnxNode("Reshape", `${weights4}_node`, [LORA_BANK_WEIGHTS, shape4], [weights4]),
      ];
    },
    site: (site, { y, yBase }, fresh) => {
      const m = site.module;
      const names = loraBankNames(m);
      const t = (suffix: string) => fresh(`/${m}/lora_bank_${suffix}`);
      const [aShape, bShape, tail, xShape, x3, yShape] = [t("a_shape"), t("b_shape"), t("x_tail"), t("x_shape"), t("x3"), t("y_shape")];
      const [aPlan, aCat, aCatT, bPlan, bWeighted, bCat, down, up3, up] = [t("a"), t("a_cat"), t("a_catT"), t("bT"), t("bT_weighted"), t("bT_cat"), t("down"), t("up3"), t("up")];
      return [
        onnxNode("Gather", `${aPlan}_node`, [names.a, LORA_BANK_INDICES], [aPlan], undefined, 0),
        constant(`${aShape}_node`, aShape, [0, -1, site.inFeatures]),
        onnxNode("Reshape", `${aCat}_node`, [aPlan, aShape], [aCat]),
        onnxNode("Transpose", `${aCatT}_node`, [aCat], [aCatT], [0, 2, 1]),
        onnxNode("Gather", `${bPlan}_node`, [names.bT, LORA_BANK_INDICES], [bPlan], undefined, 0),
        onnxNode("Mul", `${bWeighted}_node`, [bPlan, weights4], [bWeighted]),
        constant(`${bShape}_node`, bShape, [0, -1, site.outFeatures]),
        onnxNode("Reshape", `${bCat}_node`, [bWeighted, bShape], [bCat]),
        constant(`${tail}_node`, tail, [-1, site.inFeatures]),
        onnxNode("Concat", `${xShape}_node`, [batch, tail], [xShape], undefined, 0),
        onnxNode("Reshape", `${x3}_node`, [site.input, xShape], [x3]),
        onnxNode("MatMul", `${down}_node`, [x3, aCatT], [down]),
        onnxNode("MatMul", `${up3}_node`, [down, bCat], [up3]),
        onnxNode("Shape", `${yShape}_node`, [yBase], [yShape]),
        onnxNode("Reshape", `${up}_node`, [up3, yShape], [up]),
        onnxNode("Add", `/${m}/lora_bank_Add`, [yBase, up], [y]),
      ];
    },
    inputs: [tensorInput(LORA_BANK_INDICES, OnnxDataType.INT64, ["batch", "lora_bank.k"]), tensorInput(LORA_BANK_WEIGHTS, OnnxDataType.FLOAT, ["batch", "lora_bank.k"])],
    initializers: sites.flatMap((site) => {
      const module = byName.get(site.module)!;
      const names = loraBankNames(site.module);
      return [floats(names.a, [bank.size, module.rank, module.inFeatures], module.a), floats(names.bT, [bank.size, module.rank, module.outFeatures], module.bT)];
    }),
  });
  return { model: rewired, modules: preparedModules(sites), externalData: graph.externalData, size: bank.size };
}
