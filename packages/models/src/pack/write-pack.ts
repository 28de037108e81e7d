import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { ByteParts } from "../onnx/encode.js";
import { MODEL_PACK_MANIFEST, type ModelPackManifestInput, ModelPackManifestSchema, type PackFile } from "./manifest.js";

/**
 * Writing a pack: each file through a temporary name (a reader never sees half a file), hashed as it
 * is written, and the manifest last, so a folder with a manifest always holds the files it names.
 */

type Source = ByteParts | { readonly copyFrom: string };

async function* chunksOf(source: Source): AsyncIterable<Uint8Array> {
  if ("copyFrom" in source) {
    for await (const chunk of createReadStream(source.copyFrom)) yield chunk as Buffer;
  } else {
    yield* source.parts;
  }
}

/** Writes `name` in `dir` from bytes or a copy of a file, and returns its manifest entry. */
export async function writePackFile(dir: string, name: string, source: Source): Promise<PackFile> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const temporary = `${file}.${randomUUID()}.tmp`;
  const hash = createHash("sha256");
  let bytes = 0;
  const handle = await open(temporary, "w");
  try {
    for await (const part of chunksOf(source)) {
      hash.update(part);
      bytes += part.byteLength;
      for (let written = 0; written < part.byteLength; ) {
        written += (await handle.write(part, written, part.byteLength - written)).bytesWritten;
      }
    }
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return { path: name, bytes, sha256: hash.digest("hex") };
}

/** Validates the manifest against the schema and writes it (last). */
export async function writePackManifest(dir: string, manifest: ModelPackManifestInput): Promise<void> {
  const parsed = ModelPackManifestSchema.parse(manifest);
  const bytes = new TextEncoder().encode(`${JSON.stringify(parsed, null, 2)}\n`);
  await writePackFile(dir, MODEL_PACK_MANIFEST, { parts: [bytes], byteLength: bytes.byteLength });
}

/** Removes the manifest first, so an interrupted rewrite never leaves one naming other files. */
export async function removePackManifest(dir: string): Promise<void> {
  await rm(path.join(dir, MODEL_PACK_MANIFEST), { force: true });
}
