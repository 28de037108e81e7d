// Test fixtures: adapters shaped for the tiny segmentation model, images, multipart forms.
import { crc32 } from "node:zlib";
import { createPrng, peft, randomAdapter } from "@semla/core";
import type { ModelPack } from "@semla/models";
import sharp from "sharp";

export const BASE_MODEL = "semla/segmentation-tiny";

export function tinyAdapterFiles(models: ModelPack, seed: number, rank = 2): peft.PeftFiles {
  const modules = models.segmenter!.loraModules;
  return peft.writePeftAdapter(randomAdapter({ modules, rank, seed, baseModel: BASE_MODEL }));
}

export async function pngImage(width: number, height: number, rgb: readonly [number, number, number]): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++)
    raw.set(
      rgb.map((v, c) => (v + ((i * 7 + c * 13) % 31)) % 256),
      i * 3,
    );
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** An incompressible PNG (noise): big files for the upload paths. */
export async function noisePng(width: number, height: number, seed = 1): Promise<Uint8Array> {
  const prng = createPrng(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(prng.next() * 256);
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** A unit vector along axis i. */
export function axis(dimension: number, i: number): number[] {
  return Array.from({ length: dimension }, (_, j) => (j === i ? 1 : 0));
}

export function adapterForm(fields: {
  libraryId: string;
  name: string;
  files: { config: Uint8Array | string; weights: Uint8Array };
  centroid?: string | { name: string; bytes: Uint8Array };
  images?: readonly { name: string; bytes: Uint8Array }[];
}): FormData {
  const form = new FormData();
  form.set("libraryId", fields.libraryId);
  form.set("name", fields.name);
  form.set("config", new Blob([fields.files.config]), "adapter_config.json");
  form.set("weights", new Blob([fields.files.weights]), "adapter_model.safetensors");
  if (typeof fields.centroid === "string") form.set("centroid", fields.centroid);
  else if (fields.centroid) form.set("centroid", new Blob([fields.centroid.bytes]), fields.centroid.name);
  for (const image of fields.images ?? []) form.append("images", new Blob([image.bytes]), image.name);
  return form;
}

/**
 * A PNG that is only its header: signature, an IHDR claiming width × height (8-bit RGB) and IEND, no
 * pixel data. libvips cannot even read its header, so only a check made from the IHDR bytes can
 * answer it by its size.
 */
export function pngHeader(width: number, height: number): Uint8Array {
  const chunk = (type: string, body: Buffer) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, "latin1");
    body.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IEND", Buffer.alloc(0))]));
}
