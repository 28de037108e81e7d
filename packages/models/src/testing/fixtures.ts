import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesSource, type LoraAdapter, numpy, peft } from "@semla/core";

/** The torch-made exports and their expected values (packages/models/fixtures/torch-export, README there). */
export const TORCH_EXPORT_DIR = fileURLToPath(new URL("../../fixtures/torch-export/", import.meta.url));

export const torchExportFile = (name: string) => path.join(TORCH_EXPORT_DIR, name);

export async function readTorchExportJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(torchExportFile(name), "utf8")) as T;
}

/**
 * The CAT-Seg-shaped export (plain and Gemm), its two PEFT adapters and torch's merged logits
 * (packages/models/fixtures/catseg-export, README there).
 */
export const CATSEG_EXPORT_DIR = fileURLToPath(new URL("../../fixtures/catseg-export/", import.meta.url));

/** A file of the CAT-Seg fixtures, by its path inside the folder (`adapter-fog/adapter_config.json`). */
export const catsegExportFile = (name: string) => path.join(CATSEG_EXPORT_DIR, name);

export async function readCatsegExportJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(catsegExportFile(name), "utf8")) as T;
}

/** A float .npy of the CAT-Seg fixtures (core's reader). */
export async function readCatsegNpy(name: string): Promise<numpy.NpyArray> {
  return numpy.readNpy(new Uint8Array(await readFile(catsegExportFile(name))));
}

/** A float .npy of the fixture folder (core's reader). */
export async function readFloatNpy(name: string): Promise<numpy.NpyArray> {
  return numpy.readNpy(new Uint8Array(await readFile(torchExportFile(name))));
}

/**
 * An int64 .npy ('<i8', C order) of the fixture folder. Core's reader takes floats only (centroids
 * and weights); token ids are int64, and only tests read them, so this small reader lives here.
 */
export async function readInt64Npy(name: string): Promise<{ shape: number[]; data: BigInt64Array }> {
  const bytes = new Uint8Array(await readFile(torchExportFile(name)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!header.includes("'descr': '<i8'") || !header.includes("'fortran_order': False")) throw new Error(`${name} is not a C-order <i8 .npy: ${header}`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean)
    .map(Number);
  const offset = start + headerLength;
  const data = new BigInt64Array(bytes.slice(offset).buffer);
  if (data.length !== shape.reduce((n, d) => n * d, 1)) throw new Error(`${name}: ${data.length} values for shape (${shape.join(", ")})`);
  return { shape, data };
}

/** Every module the CAT-Seg fixture's adapters target (PEFT's full-match regex), as `semla models prepare --targets` takes it. */
export const CATSEG_TARGETS = String.raw`.*resblocks\.\d\.(attn\.(q_proj|v_proj|out_proj)|mlp\.c_fc)|.*head\.proj`;

/** One of the fixture's PEFT adapters (`adapter-fog`, `adapter-night`), read by core's PEFT reader. */
export async function readCatsegAdapter(name: string): Promise<LoraAdapter> {
  const dir = catsegExportFile(name);
  return peft.readLoraAdapter({
    config: await readFile(path.join(dir, "adapter_config.json")),
    weights: bytesSource(new Uint8Array(await readFile(path.join(dir, "adapter_model.safetensors")))),
  });
}
