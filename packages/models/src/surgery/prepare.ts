import { peft, SemlaError } from "@semla/core";
import { encodeNodeProto, encodeValueInfoProto, OnnxAttributeType, OnnxDataType } from "../onnx/onnx-proto.js";
import { loraInputNames } from "../tensor-names.js";
import { GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, type ModelGraph, readModelGraph } from "./graph.js";
import { findLayers, type LinearSite, type UnadaptableSite } from "./linears.js";
import { concat, type Parts, parts, payload, push, pushField, stringValue, wireFields } from "./wire.js";

/**
 * Makes a plain export LoRA-ready (as Olive's ExtractAdapters and TensorRT Edge-LLM's insert-lora do
 * for language models, here for any graph's nn.Linear layers): for each targeted layer y = x·Wᵀ (+ b),
 * the graph gains inputs `<module>.lora_A.weight` [r, in] and `<module>.lora_B.weight` [out, r] (one
 * symbolic rank per module, `<module>.rank`) and computes y + (x·Aᵀ)·Bᵀ — the LoRA update the
 * segmenter feeds at run time, B already scaled (see inference's lora-feeds). At rank 0 the update is
 * an empty product, zero: the outputs are the export's. The rest of the model is copied byte for byte
 * (initializers, external-data references, attributes, metadata).
 */

export type PrepareRule = "no-targets" | "no-match" | "ambiguous" | "unadaptable" | "shape-mismatch" | "already-prepared" | "mapping" | "output-exists" | "base-pack";

export class PrepareError extends SemlaError {
  constructor(
    readonly rule: PrepareRule,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`prepare.${rule}`, message, { rule, ...details }, "invalid");
  }
}

/** Which modules to make LoRA-ready: PEFT's target_modules (a list: suffix match on dotted names; a string: a full-match regex). */
export interface PrepareTargets {
  /** True for a module PEFT would target. */
  readonly isTarget: (module: string) => boolean;
  /** For a list: its entries, each of which must match (a name that matches nothing is a typo). */
  readonly entries: readonly string[] | null;
  /** How the targets were given, for messages. */
  readonly description: string;
  /** Shapes an adapter has for its modules ([out, in]), when the targets came with one: a different graph shape is refused. */
  readonly shapes?: ReadonlyMap<string, { readonly inFeatures: number; readonly outFeatures: number }>;
}

export interface PreparedModule {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly kind: LinearSite["kind"];
  /** The node computing x·W, its weight initializer, and how the module was named. */
  readonly node: string;
  readonly weight: string;
  readonly namedBy: LinearSite["namedBy"];
  readonly bias: boolean;
}

export interface PreparedGraph {
  /** The prepared model (write its parts in order). */
  readonly model: Parts;
  readonly modules: readonly PreparedModule[];
  /** External data files the model refers to (to be copied beside it, unchanged). */
  readonly externalData: readonly string[];
}

function matchSites(graph: ModelGraph, targets: PrepareTargets, mapping: ReadonlyMap<string, string>): LinearSite[] {
  const { linears, unadaptable } = findLayers(graph, mapping);
  for (const [module, node] of mapping) {
    if (!graph.nodes.some((n) => n.fields.name === node))
      throw new PrepareError("mapping", `the mapping names node ${JSON.stringify(node)} for ${module}; the graph has no such node`, { module, node });
  }
  // With an adapter's shapes at hand, only layers it has weights for matter (PEFT may match an
  // attention's unused out_proj by suffix and train nothing there worth serving: it has no effect).
  const blocked: UnadaptableSite[] = unadaptable.filter((u) => targets.isTarget(u.module) && (!targets.shapes || targets.shapes.has(u.module)));
  if (blocked.length > 0) {
    const first = blocked[0] as UnadaptableSite;
    throw new PrepareError("unadaptable", `${first.module} (${first.kind}, ${first.node}) cannot take LoRA inputs: ${first.reason}`, {
      modules: blocked.map((b) => ({ module: b.module, kind: b.kind, node: b.node })),
    });
  }
  const chosen = linears.filter((l) => targets.isTarget(l.module));
  if (chosen.length === 0) {
    throw new PrepareError(
      "no-match",
      `no linear layer of the graph matches ${targets.description} (it has ${linears.length}: ${linears
        .slice(0, 8)
        .map((l) => l.module)
        .join(", ")}${linears.length > 8 ? ", …" : ""})`,
      {
        linears: linears.map((l) => l.module),
      },
    );
  }
  for (const entry of targets.entries ?? []) {
    if (!chosen.some((l) => l.module === entry || l.module.endsWith(`.${entry}`))) {
      throw new PrepareError("no-match", `target ${JSON.stringify(entry)} matches no linear layer of the graph`, { target: entry });
    }
  }
  const byModule = new Map<string, LinearSite[]>();
  for (const site of chosen) byModule.set(site.module, [...(byModule.get(site.module) ?? []), site]);
  for (const [module, sites] of byModule) {
    if (sites.length > 1) {
      throw new PrepareError(
        "ambiguous",
        `${module} matches ${sites.length} nodes (${sites.map((s) => s.node.fields.name).join(", ")}): a layer called twice shares its weight; name the one to adapt in a mapping file (module → node)`,
        { module, nodes: sites.map((s) => s.node.fields.name) },
      );
    }
  }
  for (const site of chosen) {
    const expected = targets.shapes?.get(site.module);
    if (expected && (expected.inFeatures !== site.inFeatures || expected.outFeatures !== site.outFeatures)) {
      throw new PrepareError(
        "shape-mismatch",
        `${site.module} is [${site.outFeatures}, ${site.inFeatures}] ([out, in]) in the graph (${site.node.fields.name}); the adapter has [${expected.outFeatures}, ${expected.inFeatures}]`,
        { module: site.module, graph: [site.outFeatures, site.inFeatures], adapter: [expected.outFeatures, expected.inFeatures] },
      );
    }
  }
  if (targets.shapes) {
    const found = new Set(chosen.map((c) => c.module));
    const missing = [...targets.shapes.keys()].filter((m) => !found.has(m));
    if (missing.length > 0)
      throw new PrepareError("no-match", `the adapter's module ${missing[0]} is no linear layer of the graph${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ""}`, { modules: missing });
  }
  return chosen;
}

export const tensorInput = (name: string, elemType: number, dims: readonly (number | string)[]) =>
  encodeValueInfoProto({
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } } },
  });

const floatInput = (name: string, dims: readonly (number | string)[]) => tensorInput(name, OnnxDataType.FLOAT, dims);

/** A node of the default domain; `perm` for a Transpose, `axis` for a Gather. */
export const onnxNode = (op: string, name: string, input: string[], output: string[], perm?: number[], axis?: number) =>
  encodeNodeProto({
    op_type: op,
    name,
    input,
    output,
    attribute: [...(perm ? [{ name: "perm", type: OnnxAttributeType.INTS, ints: perm }] : []), ...(axis !== undefined ? [{ name: "axis", type: OnnxAttributeType.INT, i: axis }] : [])],
    domain: "",
  });

/** The node `site.output` with its first output renamed (copying every other field as it is). */
function renameOutput(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const out = parts();
  for (const f of wireFields(bytes)) {
    if (f.field === 2 && stringValue(bytes, f) === from) pushField(out, 2, new TextEncoder().encode(to));
    else push(out, bytes.subarray(f.start, f.end));
  }
  return concat(out);
}

/** Fresh tensor names in a graph: a name already taken gets a numbered suffix. */
export type FreshName = (name: string) => string;

/** How a rewiring replaces each site: `y_base` is the layer's original output (renamed), `y` the name its consumers read. */
export interface SiteWiring {
  /** The nodes computing `y` from `yBase` and the layer's input (in order, after the layer). */
  readonly site: (site: LinearSite, names: { readonly y: string; readonly yBase: string }, fresh: FreshName) => Uint8Array[];
  /** Graph inputs (ValueInfoProto bytes) and initializers (TensorProto bytes) the nodes read. */
  readonly inputs: readonly Uint8Array[];
  readonly initializers: readonly Uint8Array[];
  /** Nodes every site reads (shared shapes, reshaped weights), placed before the first site's. */
  readonly prologue?: (fresh: FreshName) => Uint8Array[];
}

function refuseIfPrepared(graph: ModelGraph): void {
  const already = graph.inputs.filter((name) => name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight") || name.startsWith("lora_bank."));
  if (already.length > 0) {
    throw new PrepareError(
      "already-prepared",
      `the graph already takes LoRA inputs (${already.slice(0, 3).join(", ")}${already.length > 3 ? ", …" : ""}): it was prepared before; prepare the plain export`,
      {
        inputs: already.length,
      },
    );
  }
}

/** The targeted layers of `model`, refused as prepareSegmenter refuses them. */
export function targetSites(model: Uint8Array, targets: PrepareTargets, mapping: ReadonlyMap<string, string> = new Map()): { graph: ModelGraph; sites: LinearSite[] } {
  const graph = readModelGraph(model);
  refuseIfPrepared(graph);
  return { graph, sites: matchSites(graph, targets, mapping) };
}

/** An edit of a graph: nodes replaced (by index) or dropped, inputs dropped, inputs and initializers added. */
export interface GraphEdit {
  /** For a node's index, the nodes emitted in its place. */
  readonly replace: ReadonlyMap<number, (fresh: FreshName) => Uint8Array[]>;
  readonly dropNodes?: ReadonlySet<number>;
  readonly dropInputs?: ReadonlySet<string>;
  /** Nodes every replacement reads, placed before the first one. */
  readonly prologue?: (fresh: FreshName) => Uint8Array[];
  readonly inputs: readonly Uint8Array[];
  readonly initializers: readonly Uint8Array[];
}

/** Applies `edit`, copying every other field byte for byte. */
export function editGraph(graph: ModelGraph, edit: GraphEdit): Parts {
  const taken = new Set([...graph.producer.keys(), ...graph.inputs, ...graph.initializers.keys()]);
  const fresh: FreshName = (name) => {
    let candidate = name;
    for (let i = 1; taken.has(candidate); i++) candidate = `${name}_${i}`;
    taken.add(candidate);
    return candidate;
  };
  const newGraph = parts();
  let index = -1;
  let prologue = edit.prologue;
  for (const f of graph.graphFields) {
    if (f.field === GRAPH_INPUT && edit.dropInputs) {
      const info = payload(graph.graph, f);
      const name = wireFields(info).find((g) => g.field === 1);
      if (name && edit.dropInputs.has(stringValue(info, name))) continue;
    }
    if (f.field !== GRAPH_NODE) {
      push(newGraph, graph.graph.subarray(f.start, f.end));
      continue;
    }
    index++; // nodes are read in field order (readModelGraph numbers them the same way)
    if (edit.dropNodes?.has(index)) continue;
    const replacement = edit.replace.get(index);
    if (!replacement) {
      push(newGraph, graph.graph.subarray(f.start, f.end));
      continue;
    }
    if (prologue) {
      for (const n of prologue(fresh)) pushField(newGraph, GRAPH_NODE, n);
      prologue = undefined;
    }
    for (const n of replacement(fresh)) pushField(newGraph, GRAPH_NODE, n);
  }
  for (const input of edit.inputs) pushField(newGraph, GRAPH_INPUT, input);
  for (const initializer of edit.initializers) pushField(newGraph, GRAPH_INITIALIZER, initializer);

  const out = parts();
  for (const f of graph.modelFields) {
    if (f === graph.graphField) pushField(out, f.field, newGraph);
    else push(out, graph.model.subarray(f.start, f.end));
  }
  return out;
}

/** Rewrites each site's output through `wiring`: y = layer(x) becomes y_base, then the wiring's nodes compute y right after, so the order stays topological. */
export function rewireSites(graph: ModelGraph, sites: readonly LinearSite[], wiring: SiteWiring): Parts {
  const replace = new Map(
    sites.map((site) => [
      site.output.index,
      (fresh: FreshName) => {
        const y = site.output.fields.output[0] as string;
        const yBase = fresh(`${y}/lora_base`);
        return [renameOutput(site.output.bytes, y, yBase), ...wiring.site(site, { y, yBase }, fresh)];
      },
    ]),
  );
  return editGraph(graph, { replace, inputs: wiring.inputs, initializers: wiring.initializers, ...(wiring.prologue && { prologue: wiring.prologue }) });
}

export function preparedModules(sites: readonly LinearSite[]): PreparedModule[] {
  return sites.map((s) => ({
    name: s.module,
    inFeatures: s.inFeatures,
    outFeatures: s.outFeatures,
    kind: s.kind,
    node: s.node.fields.name,
    weight: s.weight,
    namedBy: s.namedBy,
    bias: s.biasAdd !== null || (s.kind === "Gemm" && s.node.fields.input.length > 2),
  }));
}

/**
 * Prepares `model` (an ONNX ModelProto's bytes) for LoRA inputs on the targeted modules; `mapping`
 * (module → node name) names modules the graph's parameter and scope names do not.
 */
export function prepareSegmenter(model: Uint8Array, targets: PrepareTargets, mapping: ReadonlyMap<string, string> = new Map()): PreparedGraph {
  const { graph, sites } = targetSites(model, targets, mapping);
  const prepared = rewireSites(graph, sites, {
    site: (site, { y, yBase }, fresh) => {
      const m = site.module;
      const names = loraInputNames(m);
      const aT = fresh(`/${m}/lora_AT`);
      const bT = fresh(`/${m}/lora_BT`);
      const down = fresh(`/${m}/lora_down`);
      const up = fresh(`/${m}/lora_up`);
      return [
        onnxNode("Transpose", `${aT}_node`, [names.a], [aT], [1, 0]),
        onnxNode("Transpose", `${bT}_node`, [names.b], [bT], [1, 0]),
        onnxNode("MatMul", `${down}_node`, [site.input, aT], [down]),
        onnxNode("MatMul", `${up}_node`, [down, bT], [up]),
        onnxNode("Add", `/${m}/lora_Add`, [yBase, up], [y]),
      ];
    },
    inputs: sites.flatMap((site) => {
      const names = loraInputNames(site.module);
      return [floatInput(names.a, [names.rank, site.inFeatures]), floatInput(names.b, [site.outFeatures, names.rank])];
    }),
    initializers: [],
  });
  return { model: prepared, modules: preparedModules(sites), externalData: graph.externalData };
}

/**
 * Targets as PEFT's `target_modules`: a list (each entry matches a module named so or ending in
 * `.<entry>`) or a string (a regex the whole name must match), compiled by core's PEFT patterns (RE2).
 */
export function prepareTargets(targetModules: string | readonly string[], options: { readonly description?: string; readonly shapes?: PrepareTargets["shapes"] } = {}): PrepareTargets {
  const patterns = peft.compilePeftPatterns({ target_modules: typeof targetModules === "string" ? targetModules : [...targetModules], rank_pattern: {}, alpha_pattern: {} });
  if (typeof targetModules !== "string" && targetModules.length === 0) throw new PrepareError("no-targets", "no target modules given");
  return {
    isTarget: patterns.isTarget,
    entries: typeof targetModules === "string" ? null : targetModules,
    description: options.description ?? (typeof targetModules === "string" ? `the regex ${JSON.stringify(targetModules)}` : `target_modules ${JSON.stringify(targetModules)}`),
    ...(options.shapes && { shapes: options.shapes }),
  };
}
