import { encodeNodeProto, encodeTensorProto, OnnxAttributeType, OnnxDataType, type TensorFields } from "../onnx/onnx-proto.js";
import { LORA_BANK_INDICES, LORA_BANK_WEIGHTS, loraBankNames, loraInputNames } from "../tensor-names.js";
import { type GraphNode, type ModelGraph, readModelGraph } from "./graph.js";
import { editGraph, type FreshName, onnxNode, type PreparedGraph, PrepareError, preparedModules, prepareTargets, rewireSites, targetSites, tensorInput } from "./prepare.js";
import type { BankModule, LoraBank } from "./stack-bank.js";

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
 * shape. A sequence-first export ([L, N, in]) is not supported. `modules` of the result are the
 * layers found in a plain export (empty for a LoRA-ready graph, whose modules its pack lists).
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

interface Shared {
  batch: string;
  weights4: string;
}

/** The plan's batch size N ([1], from the indices' shape) and weights as [N, k, 1, 1], read by every module. */
function prologue(shared: Shared, fresh: FreshName): Uint8Array[] {
  const indexShape = fresh("/lora_bank/indices_shape");
  const zero = fresh("/lora_bank/zero");
  const shape4 = fresh("/lora_bank/weights_shape");
  shared.batch = fresh("/lora_bank/batch");
  shared.weights4 = fresh("/lora_bank/weights4");
  return [
    onnxNode("Shape", `${indexShape}_node`, [LORA_BANK_INDICES], [indexShape]),
    constant(`${zero}_node`, zero, [0]),
    onnxNode("Gather", `${shared.batch}_node`, [indexShape, zero], [shared.batch], undefined, 0),
    constant(`${shape4}_node`, shape4, [0, 0, 1, 1]),
    onnxNode("Reshape", `${shared.weights4}_node`, [LORA_BANK_WEIGHTS, shape4], [shared.weights4]),
  ];
}

/** y = y_base + Σᵢ wᵢ·(x·Aᵢᵀ)·(sᵢBᵢ)ᵀ per image, over the plan's gathered factors. */
function bankUpdate(module: BankModule, io: { readonly x: string; readonly yBase: string; readonly y: string }, shared: Shared, fresh: FreshName): Uint8Array[] {
  const m = module.name;
  const names = loraBankNames(m);
  const t = (suffix: string) => fresh(`/${m}/lora_bank_${suffix}`);
  const [aShape, bShape, tail, xShape, x3, yShape] = [t("a_shape"), t("b_shape"), t("x_tail"), t("x_shape"), t("x3"), t("y_shape")];
  const [aPlan, aCat, aCatT, bPlan, bWeighted, bCat, down, up3, up] = [t("a"), t("a_cat"), t("a_catT"), t("bT"), t("bT_weighted"), t("bT_cat"), t("down"), t("up3"), t("up")];
  return [
    onnxNode("Gather", `${aPlan}_node`, [names.a, LORA_BANK_INDICES], [aPlan], undefined, 0),
    constant(`${aShape}_node`, aShape, [0, -1, module.inFeatures]),
    onnxNode("Reshape", `${aCat}_node`, [aPlan, aShape], [aCat]),
    onnxNode("Transpose", `${aCatT}_node`, [aCat], [aCatT], [0, 2, 1]),
    onnxNode("Gather", `${bPlan}_node`, [names.bT, LORA_BANK_INDICES], [bPlan], undefined, 0),
    onnxNode("Mul", `${bWeighted}_node`, [bPlan, shared.weights4], [bWeighted]),
    constant(`${bShape}_node`, bShape, [0, -1, module.outFeatures]),
    onnxNode("Reshape", `${bCat}_node`, [bWeighted, bShape], [bCat]),
    constant(`${tail}_node`, tail, [-1, module.inFeatures]),
    onnxNode("Concat", `${xShape}_node`, [shared.batch, tail], [xShape], undefined, 0),
    onnxNode("Reshape", `${x3}_node`, [io.x, xShape], [x3]),
    onnxNode("MatMul", `${down}_node`, [x3, aCatT], [down]),
    onnxNode("MatMul", `${up3}_node`, [down, bCat], [up3]),
    onnxNode("Shape", `${yShape}_node`, [io.yBase], [yShape]),
    onnxNode("Reshape", `${up}_node`, [up3, yShape], [up]),
    onnxNode("Add", `/${m}/lora_bank_Add`, [io.yBase, up], [io.y]),
  ];
}

const planInputs = () => [tensorInput(LORA_BANK_INDICES, OnnxDataType.INT64, ["batch", "lora_bank.k"]), tensorInput(LORA_BANK_WEIGHTS, OnnxDataType.FLOAT, ["batch", "lora_bank.k"])];

const bankInitializers = (bank: LoraBank, modules: readonly BankModule[]) =>
  modules.flatMap((module) => {
    const names = loraBankNames(module.name);
    return [floats(names.a, [bank.size, module.rank, module.inFeatures], module.a), floats(names.bT, [bank.size, module.rank, module.outFeatures], module.bT)];
  });

/**
 * A LoRA-ready graph's update for one module, as prepareSegmenter and the generated segmenters write
 * it: Transpose(A) and Transpose(B) feeding MatMul(x, Aᵀ) → MatMul(·, Bᵀ) → Add(y_base, ·) → y.
 */
interface LoraReadySite {
  readonly module: string;
  readonly x: string;
  readonly yBase: string;
  readonly add: GraphNode;
  readonly nodes: readonly GraphNode[];
}

function loraReadySites(graph: ModelGraph): LoraReadySite[] {
  const sites: LoraReadySite[] = [];
  const only = (name: string, op: string): GraphNode | null => {
    const found = graph.consumers.get(name) ?? [];
    return found.length === 1 && found[0]?.fields.op_type === op ? found[0] : null;
  };
  for (const input of graph.inputs) {
    if (!input.endsWith(".lora_A.weight")) continue;
    const module = input.slice(0, -".lora_A.weight".length);
    const names = loraInputNames(module);
    const aT = only(names.a, "Transpose");
    const bT = only(names.b, "Transpose");
    const down = aT && only(aT.fields.output[0] as string, "MatMul");
    const up = down && only(down.fields.output[0] as string, "MatMul");
    const add = up && only(up.fields.output[0] as string, "Add");
    const x = down?.fields.input.find((i) => i !== aT?.fields.output[0]);
    const yBase = add?.fields.input.find((i) => i !== up?.fields.output[0]);
    if (!aT || !bT || !down || !up || !add || x === undefined || yBase === undefined || up.fields.input[1] !== bT.fields.output[0]) {
      throw new PrepareError("mapping", `the LoRA inputs of ${module} do not feed the update a LoRA-ready graph computes (Aᵀ, Bᵀ, x·Aᵀ·Bᵀ, added to y)`, { module });
    }
    sites.push({ module, x, yBase, add, nodes: [aT, bT, down, up] });
  }
  return sites;
}

/**
 * `model` (an ONNX ModelProto's bytes) with `bank` baked in: a plain export (its layers found and
 * named as prepareSegmenter finds them, `mapping` as its), or a LoRA-ready graph (prepared, or one of
 * our generated segmenters), whose run-time LoRA inputs give way to the bank's (a LoRA module the
 * bank has no adapter for is left as the base layer).
 */
export function prepareBankSegmenter(model: Uint8Array, bank: LoraBank, mapping: ReadonlyMap<string, string> = new Map()): PreparedBankGraph {
  const graph = readModelGraph(model);
  const shared: Shared = { batch: "", weights4: "" };
  const byName = new Map(bank.modules.map((m) => [m.name, m]));
  if (graph.inputs.some((name) => name.endsWith(".lora_A.weight")) && !graph.inputs.some((name) => name.startsWith("lora_bank."))) {
    const sites = loraReadySites(graph);
    const known = new Set(sites.map((s) => s.module));
    const missing = bank.modules.filter((m) => !known.has(m.name));
    if (missing.length > 0) {
      throw new PrepareError("no-match", `the bank's module ${missing[0]!.name} is no LoRA module of the graph${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ""}`, {
        modules: missing.map((m) => m.name),
      });
    }
    const replace = new Map(
      sites.map((site) => [
        site.add.index,
        (fresh: FreshName) => {
          const y = site.add.fields.output[0] as string;
          const module = byName.get(site.module);
          return module ? bankUpdate(module, { x: site.x, yBase: site.yBase, y }, shared, fresh) : [onnxNode("Identity", `/${site.module}/lora_bank_Identity`, [site.yBase], [y])];
        },
      ]),
    );
    const rewired = editGraph(graph, {
      replace,
      dropNodes: new Set(sites.flatMap((s) => s.nodes.map((n) => n.index))),
      dropInputs: new Set(sites.flatMap((s) => [loraInputNames(s.module).a, loraInputNames(s.module).b])),
      prologue: (fresh) => prologue(shared, fresh),
      inputs: planInputs(),
      initializers: bankInitializers(bank, bank.modules),
    });
    return { model: rewired, modules: [], externalData: graph.externalData, size: bank.size };
  }
  const targets = prepareTargets(
    bank.modules.map((m) => m.name),
    { description: "the bank's modules", shapes: new Map(bank.modules.map((m) => [m.name, { inFeatures: m.inFeatures, outFeatures: m.outFeatures }])) },
  );
  const { sites } = targetSites(model, targets, mapping);
  const rewired = rewireSites(graph, sites, {
    prologue: (fresh) => prologue(shared, fresh),
    site: (site, { y, yBase }, fresh) => bankUpdate(byName.get(site.module)!, { x: site.input, yBase, y }, shared, fresh),
    inputs: planInputs(),
    initializers: bankInitializers(
      bank,
      sites.map((s) => byName.get(s.module)!),
    ),
  });
  return { model: rewired, modules: preparedModules(sites), externalData: graph.externalData, size: bank.size };
}
