import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeMaskPng } from "@semla/inference";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetTarget, openDataset } from "./dataset.js";
import type { EvalSample } from "./runner.js";

let root: string;
const rgb = (w: number, h: number) => sharp(new Uint8Array(w * h * 3).fill(90), { raw: { width: w, height: h, channels: 3 } });

async function makeDataset(name: string, files: { images?: Record<string, Uint8Array>; labels?: Record<string, Uint8Array>; classes?: string | null }) {
  const folder = path.join(root, name);
  await mkdir(path.join(folder, "images"), { recursive: true });
  await mkdir(path.join(folder, "labels"), { recursive: true });
  if (files.classes !== null) await writeFile(path.join(folder, "classes.txt"), files.classes ?? "sky\nroad\n");
  for (const [n, b] of Object.entries(files.images ?? {})) await writeFile(path.join(folder, "images", n), b);
  for (const [n, b] of Object.entries(files.labels ?? {})) await writeFile(path.join(folder, "labels", n), b);
  return folder;
}

async function codeAndMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  return "no error";
}

async function collect(folder: string): Promise<EvalSample[]> {
  const out: EvalSample[] = [];
  for await (const s of datasetTarget(await openDataset(folder)).samples) out.push(s);
  return out;
}

let jpeg: Uint8Array;
let labels4x2: Uint8Array;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "semla-dataset-"));
  jpeg = new Uint8Array(await rgb(4, 2).jpeg().toBuffer());
  labels4x2 = await encodeMaskPng({ labels: Uint8Array.of(0, 1, 1, 255, 0, 0, 1, 1), width: 4, height: 2 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("dataset folders", () => {
  it("pair each image with labels/<base name>.png and read the classes file in order", async () => {
    const folder = await makeDataset("ok", { images: { "a.jpg": jpeg }, labels: { "a.png": labels4x2 } });
    const dataset = await openDataset(folder);
    expect(dataset).toMatchObject({ name: "ok", classNames: ["sky", "road"] });
    const [sample] = await collect(folder);
    expect(sample!.name).toBe("images/a.jpg");
    expect(Array.from(sample!.labels)).toEqual([0, 1, 1, 255, 0, 0, 1, 1]);
    expect(datasetTarget(dataset, { exclude: ["x"], oracle: "x" })).toMatchObject({ domain: "ok", exclude: ["x"], oracle: "x" });
  });

  it("are refused with what is wrong: layout, missing label maps, classes file", async () => {
    expect(await codeAndMessage(openDataset(path.join(root, "absent")))).toMatch(/^eval.dataset-invalid: .*is not a folder/);
    const noClasses = await makeDataset("no-classes", { images: { "a.jpg": jpeg }, labels: { "a.png": labels4x2 }, classes: null });
    expect(await codeAndMessage(openDataset(noClasses))).toMatch(/no classes.txt/);
    const empty = await makeDataset("empty", {});
    expect(await codeAndMessage(openDataset(empty))).toMatch(/images\/ holds no PNG, JPEG or WebP files/);
    const missing = await makeDataset("missing", { images: { "a.jpg": jpeg, "b.jpg": jpeg }, labels: { "a.png": labels4x2 } });
    expect(await codeAndMessage(openDataset(missing))).toMatch(/1 image\(s\) have no label map labels\/<name>.png: b.jpg/);
    const repeated = await makeDataset("repeated", { images: { "a.jpg": jpeg }, labels: { "a.png": labels4x2 }, classes: "sky\nsky\n" });
    expect(await codeAndMessage(openDataset(repeated))).toMatch(/classes file: class name "sky" is given twice \(at 0 and 1\)/);
  });

  it("refuse label maps of another size, with unknown classes, or in colour, when read", async () => {
    const small = await encodeMaskPng({ labels: new Uint8Array(4), width: 2, height: 2 });
    expect(await codeAndMessage(collect(await makeDataset("size", { images: { "a.jpg": jpeg }, labels: { "a.png": small } })))).toMatch(/are 2×2; the image is 4×2/);
    const unknown = await encodeMaskPng({ labels: Uint8Array.of(0, 1, 2, 0, 0, 0, 0, 0), width: 4, height: 2 });
    expect(await codeAndMessage(collect(await makeDataset("class", { images: { "a.jpg": jpeg }, labels: { "a.png": unknown } })))).toMatch(/hold class 2, but the classes file names 2/);
    const colour = new Uint8Array(
      await sharp(Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3), { raw: { width: 4, height: 2, channels: 3 } })
        .png()
        .toBuffer(),
    );
    expect(await codeAndMessage(collect(await makeDataset("colour", { images: { "a.jpg": jpeg }, labels: { "a.png": colour } })))).toMatch(/must be greyscale/);
  });
});
