import { checkModelPack, inspectModelPack } from "@semla/inference";
import { type ModelPack, openModelPack, preparePack, readMapping, targetsFromArgument } from "@semla/models";
import { bytes, table } from "./format.js";

/**
 * `semla models inspect DIR` and `semla models check DIR`: what a model pack holds (its models'
 * inputs, outputs, dimensions, LoRA modules and sizes), and whether each model runs on a probe input
 * with the shapes its manifest promises — before a server is started on it.
 */

const dims = (d: readonly (number | string)[]) => `[${d.join(", ")}]`;

function summary(pack: ModelPack): string[] {
  const lines = [`pack ${pack.manifest.name ?? "(unnamed)"} in ${pack.dir}`];
  const image = pack.imageEncoder;
  const p = image.preprocessing;
  lines.push(
    `image encoder ${image.id}: ${image.dimension}-d${image.normalize ? ", L2-normalised" : ""}; ` +
      `resize ${p.resize ? ("shortestEdge" in p.resize ? `shortest edge ${p.resize.shortestEdge}` : `${p.resize.height}×${p.resize.width}`) : "none"} (${p.resample}), ` +
      `crop ${p.crop ? `${p.crop.height}×${p.crop.width}` : "none"}, normalise ${p.normalize ? `mean ${p.normalize.mean.join("/")} std ${p.normalize.std.join("/")}` : "none"}`,
  );
  const text = pack.textEncoder;
  if (text?.kind === "onnx") {
    const tokenizer = pack.manifest.textEncoder?.kind === "onnx" ? pack.manifest.textEncoder.tokenizer : null;
    const described = tokenizer?.kind === "huggingface" ? `tokenizer ${tokenizer.file.path}, ${tokenizer.contextLength} tokens` : `hashed stand-in tokenizer, ${tokenizer?.contextLength} tokens`;
    lines.push(
      `text encoder: ${text.dimension}-d; ${text.templates.length} template(s) (${text.templates
        .slice(0, 3)
        .map((t) => JSON.stringify(t))
        .join(", ")}${text.templates.length > 3 ? ", …" : ""}); ${described}`,
    );
  } else if (text?.kind === "table") {
    lines.push(`class table: ${text.names.length} classes, ${text.dimension}-d (${text.names.slice(0, 5).join(", ")}${text.names.length > 5 ? ", …" : ""})`);
  } else {
    lines.push("text encoder: none (this pack embeds and routes; it cannot segment)");
  }
  const segmenter = pack.segmenter;
  if (segmenter) {
    lines.push(`segmenter ${segmenter.id}: ${segmenter.imageSize}×${segmenter.imageSize} input, ${segmenter.loraModules.length} LoRA-targetable modules`);
  } else {
    lines.push("segmenter: none");
  }
  return lines;
}

export async function runModelsInspect(dir: string, options: { json: boolean }): Promise<number> {
  const pack = await openModelPack(dir);
  const models = await inspectModelPack(pack);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ dir: pack.dir, manifest: pack.manifest, models }, null, 2)}\n`);
    return 0;
  }
  const out = [...summary(pack), ""];
  out.push(
    table(
      ["model", "size", "input / output", "type", "shape"],
      models.flatMap((m) => [
        ...m.inputs.map((i, n) => [n === 0 ? m.role : "", n === 0 ? bytes(m.bytes) : "", `in  ${i.name}`, i.type, dims(i.dims)]),
        ...m.outputs.map((o) => ["", "", `out ${o.name}`, o.type, dims(o.dims)]),
      ]),
    ),
  );
  if (pack.segmenter && pack.segmenter.loraModules.length > 0) {
    out.push(
      "",
      table(
        ["LoRA module", "in", "out"],
        pack.segmenter.loraModules.map((m) => [m.name, String(m.inFeatures), String(m.outFeatures)]),
      ),
    );
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

export async function runModelsCheck(dir: string, options: { json: boolean }): Promise<number> {
  const pack = await openModelPack(dir);
  const checks = await checkModelPack(pack);
  const ok = checks.every((c) => c.ok);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ dir: pack.dir, ok, checks }, null, 2)}\n`);
  } else {
    const lines = [
      ...summary(pack),
      "",
      table(
        ["", "model", "check", "detail"],
        checks.map((c) => [c.ok ? "ok" : "FAIL", c.role, c.check, c.detail]),
      ),
    ];
    lines.push("", ok ? "the pack is ready to serve" : `${checks.filter((c) => !c.ok).length} check(s) failed`);
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  return ok ? 0 : 1;
}

export interface PrepareCommand {
  readonly segmenter: string;
  readonly targets: string;
  readonly map?: string;
  readonly from: string;
  readonly out: string;
  readonly id?: string;
  readonly size?: number;
  readonly json: boolean;
}

/** `semla models prepare`: prints the mapping (module → node, weight, shapes) it wrote into the pack. */
export async function runModelsPrepare(command: PrepareCommand): Promise<number> {
  const prepared = await preparePack({
    segmenter: command.segmenter,
    targets: await targetsFromArgument(command.targets),
    ...(command.map !== undefined && { mapping: await readMapping(command.map) }),
    from: command.from,
    out: command.out,
    ...(command.id !== undefined && { segmenterId: command.id }),
    ...(command.size !== undefined && { size: command.size }),
  });
  if (command.json) {
    process.stdout.write(`${JSON.stringify({ dir: prepared.dir, modules: prepared.modules }, null, 2)}\n`);
    return 0;
  }
  const rows = prepared.modules.map((m) => [m.name, `${m.kind} ${m.node}`, m.weight, String(m.inFeatures), String(m.outFeatures), m.namedBy]);
  process.stdout.write(
    `${table(["module", "node", "weight", "in", "out", "named by"], rows)}\n\n${prepared.modules.length} LoRA-ready modules; the pack is in ${prepared.dir} (check it with semla models check)\n`,
  );
  return 0;
}
