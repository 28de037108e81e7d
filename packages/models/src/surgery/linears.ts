import { floatAttribute, type GraphNode, intAttribute, type ModelGraph } from "./graph.js";

/**
 * The `nn.Linear` layers of an exported graph, found as torch's exporter writes them:
 * - `MatMul(x, W)` with W an initializer [in, out] (the weight, pre-transposed, often renamed
 *   `onnx::MatMul_NNN`), or `MatMul(x, Transpose(W))` with W [out, in] when constant folding was
 *   off, followed by `Add(bias, ·)` when the layer has a bias (the bias initializer named after the
 *   module: `…q_proj.bias`);
 * - `Gemm(x, W, bias)` (a linear applied to a 2-D input), W [out, in] with transB = 1 or [in, out].
 * Each is named: by its bias initializer (`<module>.bias`), its weight initializer (`<module>.weight`),
 * or its node's scope (`/sem_seg_head/…/q_proj/MatMul` → `sem_seg_head.….q_proj`), in that order —
 * the scope only holds the modules that were called, so a name from a parameter is preferred; a
 * mapping file (module → node name) overrides all three. Layers that cannot take a LoRA update as
 * graph inputs are found too, so that targeting them is refused with the reason.
 */

export interface LinearSite {
  readonly module: string;
  /** How the module was named: from its bias, its weight, its node's scope, or the mapping file. */
  readonly namedBy: "bias" | "weight" | "scope" | "mapping";
  readonly kind: "MatMul" | "Gemm";
  /** The node computing x·W (MatMul or Gemm). */
  readonly node: GraphNode;
  /** The layer's input x (…, in). */
  readonly input: string;
  readonly weight: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The bias Add, for a MatMul layer with a bias. */
  readonly biasAdd: GraphNode | null;
  /** The node whose output is the layer's output y (the bias Add, else the MatMul / Gemm). */
  readonly output: GraphNode;
}

export interface UnadaptableSite {
  readonly module: string;
  readonly kind: "Conv" | "MultiheadAttention" | "unsupported-linear";
  readonly node: string;
  readonly reason: string;
}

const FLOAT = 1;

/** `/a/b.0/c/MatMul_1` → `a.b.0.c` (the scope of the node, without the op's own name). */
export function scopeModule(nodeName: string): string | null {
  const parts = nodeName.split("/").filter(Boolean);
  if (parts.length < 2) return null;
  return parts.slice(0, -1).join(".");
}

const strip = (name: string, suffix: string) => (name.endsWith(suffix) ? name.slice(0, -suffix.length) : null);

export interface FoundLayers {
  readonly linears: readonly LinearSite[];
  readonly unadaptable: readonly UnadaptableSite[];
}

export function findLayers(graph: ModelGraph, mapping: ReadonlyMap<string, string> = new Map()): FoundLayers {
  const byNodeName = new Map([...mapping].map(([module, node]) => [node, module]));
  const linears: LinearSite[] = [];
  const unadaptable: UnadaptableSite[] = [];
  const init = (name: string | undefined) => (name === undefined ? undefined : graph.initializers.get(name));
  /** A layer's module: the mapping's, else its bias's, its weight's, its node's scope (one order for every site found). */
  const nameOf = (node: string, bias: string | null, weight: string): { module: string; namedBy: LinearSite["namedBy"] } | null => {
    const mapped = byNodeName.get(node);
    if (mapped) return { module: mapped, namedBy: "mapping" };
    const fromBias = bias === null ? null : strip(bias, ".bias");
    if (fromBias) return { module: fromBias, namedBy: "bias" };
    const fromWeight = strip(weight, ".weight");
    if (fromWeight) return { module: fromWeight, namedBy: "weight" };
    const fromScope = scopeModule(node);
    return fromScope ? { module: fromScope, namedBy: "scope" } : null;
  };

  for (const node of graph.nodes) {
    const { op_type: op, input, output, name } = node.fields;
    if (op === "Conv") {
      const weight = init(input[1]);
      const module = (weight && strip(weight.name, ".weight")) ?? scopeModule(name);
      if (module)
        unadaptable.push({
          module,
          kind: "Conv",
          node: name,
          reason: "a convolution: LoRA inputs here are for nn.Linear layers; target the model's linear layers (attention projections, MLPs) instead",
        });
      continue;
    }
    if (op !== "MatMul" && op !== "Gemm") continue;
    const [x, w, c] = input;
    if (x === undefined || w === undefined) continue;
    // The weight: an initializer, or a Transpose([1, 0]) of one ([out, in] → [in, out]).
    let weight = init(w);
    let weightLayout: "in-out" | "out-in" = "in-out";
    if (!weight) {
      const transpose = graph.producer.get(w);
      if (op === "MatMul" && transpose?.fields.op_type === "Transpose" && transpose.fields.input[0] !== undefined) {
        const perm = transpose.fields.attribute.find((a) => a.name === "perm")?.ints ?? [1, 0];
        const source = init(transpose.fields.input[0]);
        if (source && perm.join() === "1,0") {
          weight = source;
          weightLayout = "out-in";
        }
      }
    }
    if (weight?.dims.length !== 2) continue; // an activation × activation product (attention scores), not a layer
    let inFeatures = weightLayout === "in-out" ? (weight.dims[0] as number) : (weight.dims[1] as number);
    let outFeatures = weightLayout === "in-out" ? (weight.dims[1] as number) : (weight.dims[0] as number);
    let biasAdd: GraphNode | null = null;
    let biasName: string | null = null;
    let kind: LinearSite["kind"] = "MatMul";
    if (op === "Gemm") {
      kind = "Gemm";
      const transB = intAttribute(node.fields, "transB", 0);
      if (transB === 1) {
        inFeatures = weight.dims[1] as number;
        outFeatures = weight.dims[0] as number;
      }
      const bias = init(c);
      if (bias) biasName = bias.name;
      if (intAttribute(node.fields, "transA", 0) !== 0 || floatAttribute(node.fields, "alpha", 1) !== 1 || (c !== undefined && floatAttribute(node.fields, "beta", 1) !== 1)) {
        const module = nameOf(name, biasName, weight.name)?.module;
        if (module)
          unadaptable.push({
            module,
            kind: "unsupported-linear",
            node: name,
            reason: "a Gemm with transA, alpha or beta other than a linear layer's (0, 1, 1): export the layer as a plain nn.Linear",
          });
        continue;
      }
    } else {
      const next = graph.consumers.get(output[0] ?? "") ?? [];
      const add = next.length === 1 && next[0]?.fields.op_type === "Add" ? next[0] : undefined;
      const other = add?.fields.input.find((i) => i !== output[0]);
      // The exporter merges equal initializers and feeds the copies through Identity nodes.
      const identity = other === undefined ? undefined : graph.producer.get(other);
      const bias = init(other) ?? (identity?.fields.op_type === "Identity" ? init(identity.fields.input[0]) : undefined);
      if (add && bias && bias.dims.length === 1 && bias.dims[0] === outFeatures) {
        biasAdd = add;
        biasName = bias.name;
      }
    }
    if (weight.dataType !== FLOAT) {
      const module = nameOf(name, biasName, weight.name)?.module;
      if (module) unadaptable.push({ module, kind: "unsupported-linear", node: name, reason: `its weight is not float32 (ONNX type ${weight.dataType}): export the model in float32` });
      continue;
    }
    const named = nameOf(name, biasName, weight.name);
    if (!named) continue;
    const { module, namedBy } = named;
    linears.push({ module, namedBy, kind, node, input: x, weight: weight.name, inFeatures, outFeatures, biasAdd, output: biasAdd ?? node });
  }

  // nn.MultiheadAttention keeps q, k and v packed in one parameter: found by its name. Its packed
  // in-projection exports as MatMuls against slices of it, scoped to the attention module itself:
  // those are not layers of their own (its out_proj, a plain nn.Linear, is).
  // (Constant folding may leave only its in_proj_bias under the parameter's name.)
  const attention = new Set([...graph.initializers.keys()].flatMap((name) => strip(name, ".in_proj_weight") ?? strip(name, ".in_proj_bias") ?? []));
  for (let i = linears.length - 1; i >= 0; i--) if (attention.has((linears[i] as LinearSite).module)) linears.splice(i, 1);
  // Its out_proj is an nn.Linear the attention never calls (it reads the weight itself), so a LoRA on
  // it would change nothing in torch: adapting the graph's product there would not match the adapter.
  for (let i = linears.length - 1; i >= 0; i--) {
    const site = linears[i] as LinearSite;
    const owner = [...attention].find((m) => site.module.startsWith(`${m}.`));
    if (owner) {
      linears.splice(i, 1);
      unadaptable.push({
        module: site.module,
        kind: "MultiheadAttention",
        node: site.node.fields.name,
        reason: `it belongs to the nn.MultiheadAttention ${owner}, which reads its weight directly instead of calling it: a LoRA on it has no effect in torch; export the attention with separate q_proj / k_proj / v_proj / out_proj nn.Linear layers (as CAT-Seg's CLIP does)`,
      });
    }
  }
  for (const module of attention) {
    unadaptable.push({
      module,
      kind: "MultiheadAttention",
      node: `${module}.in_proj_weight`,
      reason: "nn.MultiheadAttention packs q, k and v in one in_proj_weight: export it with separate q_proj / k_proj / v_proj nn.Linear layers (as CAT-Seg's CLIP does), or target its out_proj only",
    });
  }
  return { linears, unadaptable };
}
