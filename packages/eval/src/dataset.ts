import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { classNamesProblem } from "@semla/inference";
import sharp from "sharp";
import { EvaluationError } from "./errors.js";
import { decodeLabelPng, type LabelMap } from "./label-png.js";
import { IGNORE_LABEL } from "./miou.js";
import type { EvalSample, EvalTarget } from "./runner.js";

/**
 * A dataset folder, the layout users bring their data in (one folder per target domain):
 *   images/<name>.{png,jpg,jpeg,webp}
 *   labels/<name>.png      8-bit label map, same base name and size; pixel = class index, 255 = ignore
 *   classes.txt            one class name per line, in label order (or classes.json: an array of names)
 */
export interface Dataset {
  readonly name: string;
  readonly folder: string;
  readonly classNames: string[];
  readonly items: readonly { readonly name: string; readonly image: string; readonly labels: string }[];
}

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp"]);

const invalid = (folder: string, message: string, details: Record<string, unknown> = {}) => new EvaluationError("eval.dataset-invalid", `dataset ${folder}: ${message}`, { folder, ...details });

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function readClassNames(folder: string): Promise<string[]> {
  const txt = path.join(folder, "classes.txt");
  const json = path.join(folder, "classes.json");
  let names: unknown;
  const text = await readFile(txt, "utf8").catch(() => null);
  if (text !== null)
    names = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== "");
  else {
    const raw = await readFile(json, "utf8").catch(() => null);
    if (raw === null) throw invalid(folder, "no classes.txt (one class name per line) or classes.json (an array of names)");
    try {
      names = JSON.parse(raw);
    } catch {
      throw invalid(folder, "classes.json is not valid JSON");
    }
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string" && n.trim() !== "")) {
    throw invalid(folder, "the classes file must list at least one non-empty class name");
  }
  // The service's own class-list rules (at most LIMITS.classes: 255 is "ignore" in the label maps).
  const problem = classNamesProblem(names as string[]);
  if (problem) throw invalid(folder, `classes file: ${problem.message}`, { classList: problem.code });
  return names as string[];
}

/** Reads and checks a dataset folder's layout (every image has its label map); the pixels are checked as they are read. */
export async function openDataset(folder: string): Promise<Dataset> {
  const root = path.resolve(folder);
  if (!(await isDirectory(root))) throw invalid(root, "is not a folder");
  for (const sub of ["images", "labels"]) if (!(await isDirectory(path.join(root, sub)))) throw invalid(root, `has no ${sub}/ folder`);
  const classNames = await readClassNames(root);
  const files = (dir: string) => readdir(path.join(root, dir)).then((names) => names.filter((n) => !n.startsWith(".")).sort());
  const images = (await files("images")).filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase()));
  if (images.length === 0) throw invalid(root, "images/ holds no PNG, JPEG or WebP files");
  const labels = new Set((await files("labels")).filter((n) => path.extname(n).toLowerCase() === ".png"));
  const base = (n: string) => n.slice(0, n.length - path.extname(n).length);
  const missing = images.filter((n) => !labels.has(`${base(n)}.png`));
  if (missing.length > 0) {
    throw invalid(root, `${missing.length} image(s) have no label map labels/<name>.png: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`, { missing });
  }
  const stems = images.map(base);
  const clash = stems.filter((s, i) => stems.indexOf(s) !== i);
  if (clash.length > 0) throw invalid(root, `images share a base name (one label map cannot serve both): ${[...new Set(clash)].join(", ")}`);
  return {
    name: path.basename(root),
    folder: root,
    classNames,
    items: images.map((n) => ({ name: `images/${n}`, image: path.join(root, "images", n), labels: path.join(root, "labels", `${base(n)}.png`) })),
  };
}

/** One sample, its label map checked against the image (same displayed size, values < classes or 255). */
export async function readDatasetSample(dataset: Dataset, item: Dataset["items"][number]): Promise<EvalSample> {
  const image = new Uint8Array(await readFile(item.image));
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(image).metadata();
  } catch (error) {
    throw invalid(dataset.folder, `${item.name} is not a readable image (${error instanceof Error ? error.message : String(error)})`, { file: item.name });
  }
  let map: LabelMap;
  try {
    map = await decodeLabelPng(new Uint8Array(await readFile(item.labels)));
  } catch (error) {
    throw invalid(dataset.folder, `labels for ${item.name}: ${error instanceof Error ? error.message : String(error)}`, { file: item.labels });
  }
  // EXIF orientations 5–8 swap the displayed width and height; the service answers at the displayed size.
  const swapped = (meta.orientation ?? 1) >= 5;
  const width = swapped ? meta.height : meta.width;
  const height = swapped ? meta.width : meta.height;
  if (map.width !== width || map.height !== height) {
    throw invalid(dataset.folder, `labels for ${item.name} are ${map.width}×${map.height}; the image is ${width}×${height}`, { file: item.labels });
  }
  const classes = dataset.classNames.length;
  const bad = map.labels.find((v) => v >= classes && v !== IGNORE_LABEL);
  if (bad !== undefined) {
    throw invalid(dataset.folder, `labels for ${item.name} hold class ${bad}, but the classes file names ${classes} (0–${classes - 1}; 255 = ignore)`, { file: item.labels });
  }
  return { name: item.name, image, labels: map.labels };
}

/** The dataset as one evaluation target. `exclude`: adapters left out (leave-one-out); `oracle`: the target's own adapter, if the library has one. */
export function datasetTarget(dataset: Dataset, options: { exclude?: readonly string[]; oracle?: string | null } = {}): EvalTarget {
  return {
    domain: dataset.name,
    exclude: options.exclude ?? [],
    oracle: options.oracle ?? null,
    samples: (async function* () {
      for (const item of dataset.items) yield await readDatasetSample(dataset, item);
    })(),
  };
}
