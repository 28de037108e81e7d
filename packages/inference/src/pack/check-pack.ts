import { loraInputNames, type ModelPack, preprocessedSize } from "@semla/models";
import { createOrtSession, type OrtFeed, type OrtSession, type OrtValueInfo } from "../runtime/ort.js";

/**
 * What `semla models inspect` and `semla models check` report about a model pack: each model's graph
 * inputs and outputs as ONNX Runtime loads them, and a probe run of each on a blank input, checking
 * the names, types and shapes the manifest promises (the image encoder's dimension, the text
 * encoder's, the segmenter's text input and LoRA inputs, its logits' class axis). A pack that passes
 * is one the service will start on; one that fails says which model and which promise.
 */

export interface InspectedModel {
  readonly role: "imageEncoder" | "textEncoder" | "segmenter";
  readonly path: string;
  readonly bytes: number;
  readonly inputs: readonly OrtValueInfo[];
  readonly outputs: readonly OrtValueInfo[];
}

export interface PackCheck {
  readonly role: InspectedModel["role"];
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Role = InspectedModel["role"];

function modelsOf(pack: ModelPack): { role: Role; path: string; bytes: number }[] {
  const models: { role: Role; path: string; bytes: number }[] = [{ role: "imageEncoder", path: pack.imageEncoder.path, bytes: pack.imageEncoder.bytes }];
  if (pack.textEncoder?.kind === "onnx") models.push({ role: "textEncoder", path: pack.textEncoder.path, bytes: pack.textEncoder.bytes });
  if (pack.segmenter) models.push({ role: "segmenter", path: pack.segmenter.path, bytes: pack.segmenter.bytes });
  return models;
}

async function withSession<T>(path: string, use: (session: OrtSession) => Promise<T>): Promise<T> {
  const session = await createOrtSession(path, { intraOpThreads: 1 });
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

/** Each model's inputs and outputs, as ONNX Runtime reads them. */
export async function inspectModelPack(pack: ModelPack): Promise<InspectedModel[]> {
  const inspected: InspectedModel[] = [];
  for (const model of modelsOf(pack)) {
    inspected.push(await withSession(model.path, async (session) => ({ ...model, inputs: session.inputs, outputs: session.outputs })));
  }
  return inspected;
}

const fixed = (dims: readonly (number | string)[], fallback: number) => dims.map((d) => (typeof d === "number" ? d : fallback));

/** Runs every check; never throws for a failed check (each is reported), only for an unusable pack file. */
export async function checkModelPack(pack: ModelPack): Promise<PackCheck[]> {
  const checks: PackCheck[] = [];
  const report = (role: Role, check: string, ok: boolean, detail: string) => checks.push({ role, check, ok, detail });
  const run = async (role: Role, path: string, expect: { inputs: string[]; outputs: string[] }, feeds: (session: OrtSession) => Record<string, OrtFeed>) => {
    try {
      return await withSession(path, async (session) => {
        const missing = [
          ...expect.inputs.filter((n) => !session.inputNames.includes(n)).map((n) => `input ${n}`),
          ...expect.outputs.filter((n) => !session.outputNames.includes(n)).map((n) => `output ${n}`),
        ];
        report(
          role,
          "names",
          missing.length === 0,
          missing.length === 0
            ? `inputs ${expect.inputs.join(", ")}; outputs ${expect.outputs.join(", ")}`
            : `lacks ${missing.join(", ")} (has inputs ${session.inputNames.join(", ")}; outputs ${session.outputNames.join(", ")})`,
        );
        if (missing.length > 0) return null;
        try {
          return await session.run(feeds(session));
        } catch (error) {
          report(role, "probe", false, (error as Error).message);
          return null;
        }
      });
    } catch (error) {
      report(role, "load", false, (error as Error).message);
      return null;
    }
  };

  // The image encoder: a blank image of the preprocessing's size → [1, dimension].
  const image = pack.imageEncoder;
  // openModelPack refused a preprocessing of no fixed size.
  const side = preprocessedSize(image.preprocessing) as { height: number; width: number };
  const embeds = await run("imageEncoder", image.path, { inputs: [image.inputs.pixels], outputs: [image.outputs.embeddings] }, () => ({
    [image.inputs.pixels]: { type: "float32", data: new Float32Array(3 * side.height * side.width), dims: [1, 3, side.height, side.width] },
  }));
  const imageOut = embeds?.[image.outputs.embeddings];
  if (embeds) {
    const ok = imageOut?.dims.join() === [1, image.dimension].join();
    report("imageEncoder", "probe", ok, `${image.outputs.embeddings} [${imageOut?.dims.join(", ")}] for one ${side.height}×${side.width} image; the manifest says dimension ${image.dimension}`);
  }

  // The text encoder: the templates around a probe name, tokenized by the pack's tokenizer → [P, dimension].
  const text = pack.textEncoder;
  if (text?.kind === "onnx") {
    const prompts = text.templates.map((t) => t.replace("{}", "probe"));
    const tokens = text.tokenizer.encode(prompts);
    const dims = [...tokens.dims];
    const mask = text.inputs.attentionMask;
    const out = await run("textEncoder", text.path, { inputs: [text.inputs.ids, ...(mask ? [mask.name] : [])], outputs: [text.outputs.embeddings] }, () => ({
      [text.inputs.ids]: { type: "int64", data: tokens.inputIds, dims },
      ...(mask && { [mask.name]: mask.type === "int64" ? { type: "int64", data: tokens.attentionMask, dims } : { type: "float32", data: Float32Array.from(tokens.attentionMask, Number), dims } }),
    }));
    const textOut = out?.[text.outputs.embeddings];
    if (out) {
      const ok = textOut?.dims.join() === [prompts.length, text.dimension].join();
      report(
        "textEncoder",
        "probe",
        ok,
        `${text.outputs.embeddings} [${textOut?.dims.join(", ")}] for ${prompts.length} prompt(s) of ${dims[1]} tokens; the manifest says dimension ${text.dimension}`,
      );
    }
  }

  // The segmenter: a blank image, two classes and rank-1 zero factors for every LoRA module → [1, 2, h, w].
  const segmenter = pack.segmenter;
  if (segmenter && text) {
    const s = segmenter.imageSize;
    const lora = segmenter.loraModules.flatMap((m) => {
      const names = loraInputNames(m.name);
      return [
        [names.a, { type: "float32", data: new Float32Array(m.inFeatures), dims: [1, m.inFeatures] }],
        [names.b, { type: "float32", data: new Float32Array(m.outFeatures), dims: [m.outFeatures, 1] }],
      ] as const;
    });
    const out = await run("segmenter", segmenter.path, { inputs: [segmenter.inputs.pixels, segmenter.inputs.text, ...lora.map(([n]) => n)], outputs: [segmenter.outputs.logits] }, (session) => {
      const textInput = session.inputs.find((i) => i.name === segmenter.inputs.text);
      const declared = textInput ? fixed(textInput.dims, text.dimension)[1] : text.dimension;
      if (declared !== text.dimension) report("segmenter", "text dimension", false, `input ${segmenter.inputs.text} takes ${declared}-d embeddings; the text encoder gives ${text.dimension}`);
      return {
        [segmenter.inputs.pixels]: { type: "float32", data: new Float32Array(3 * s * s), dims: [1, 3, s, s] },
        [segmenter.inputs.text]: { type: "float32", data: new Float32Array(2 * text.dimension).fill(1 / Math.sqrt(text.dimension)), dims: [2, text.dimension] },
        ...Object.fromEntries(lora),
      };
    });
    const logits = out?.[segmenter.outputs.logits];
    if (out) {
      const ok = logits?.dims.length === 4 && logits.dims[0] === 1 && logits.dims[1] === 2;
      report(
        "segmenter",
        "probe",
        ok,
        `${segmenter.outputs.logits} [${logits?.dims.join(", ")}] for one ${s}×${s} image and 2 classes (expected [1, 2, h, w]); ${segmenter.loraModules.length} LoRA modules fed`,
      );
    }
  }
  return checks;
}
