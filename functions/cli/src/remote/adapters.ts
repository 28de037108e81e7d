import { numpy, SemlaError } from "@semla/core";
import { readImageFolder } from "@semla/inference";
import { bytes, printJson, table } from "../format.js";
import { UnreachableError } from "../program/failure.js";
import { progressBar } from "../progress.js";
import { type AdapterFolder, findAdapterFolders, readAdapterFiles } from "./adapter-folders.js";
import { type Connection, expectOk, putPresigned } from "./connection.js";

/** Adapters whose files fit this go in one multipart request; larger ones by presigned upload (6 MB limit, with room for the form). */
export const INLINE_BYTES = 5 * 1024 * 1024;

interface PushResult {
  readonly name: string;
  readonly status: "created" | "existing" | "failed";
  readonly detail: string;
}

async function pushOne(connection: Connection, libraryId: string, folder: AdapterFolder, images: readonly { name: string; bytes: Uint8Array }[], inlineLimit: number): Promise<PushResult> {
  const files = await readAdapterFiles(folder);
  if (!files.centroid && images.length === 0) throw new SemlaError("cli.no-centroid", `${folder.dir}: no centroid (<name>_statistics.npz, centroid.npy/.json, --centroid) and no --images`);
  const inlineBytes = files.config.byteLength + files.weights.byteLength + (files.centroid?.bytes.byteLength ?? 0) + images.reduce((n, i) => n + i.bytes.byteLength, 0);
  let reply: { created: boolean; adapter: { id: string; version: number; byteSize: number } };
  if (inlineBytes <= inlineLimit) {
    const form = {
      libraryId,
      name: folder.name,
      config: new File([files.config], "adapter_config.json"),
      weights: new File([files.weights], "adapter_model.safetensors"),
      ...(files.centroid ? { centroid: new File([files.centroid.bytes], files.centroid.name) } : {}),
      ...(images.length > 0 ? { images: images.map((i) => new File([i.bytes], i.name)) } : {}),
    };
    reply = await expectOk(await connection.client.v1.adapters.$post({ form }));
  } else {
    if (!files.centroid) throw new SemlaError("cli.no-centroid", `${folder.name}: adapters over ${bytes(inlineLimit)} need a centroid file (sample images go only with smaller ones)`);
    const centroid = await numpy.parseCentroid({ format: numpy.detectCentroidFormat(files.centroid.name, files.centroid.bytes), bytes: files.centroid.bytes }, { key: numpy.SEMLA_CENTROID_KEY });
    const config = JSON.parse(new TextDecoder().decode(files.config)) as Record<string, unknown>;
    const grant = await expectOk(
      await connection.client.v1.adapters.uploads.$post({ json: { libraryId, name: folder.name, config, centroid: [...centroid], weightsBytes: files.weights.byteLength } }),
    );
    await putPresigned(grant.upload, files.weights);
    reply = await expectOk(await connection.client.v1.adapters.uploads[":id"].complete.$post({ param: { id: grant.uploadId } }));
  }
  return { name: folder.name, status: reply.created ? "created" : "existing", detail: `${reply.adapter.id} v${reply.adapter.version} (${bytes(reply.adapter.byteSize)})` };
}

/**
 * `adapters push PATH` (an adapter folder, its .safetensors, or a folder of adapter folders) and
 * `adapters import LORADB` (SemLA's loradb/<domain>/ layout). Each adapter goes in all or nothing;
 * a failing one is reported and the rest continue; the exit status says whether any failed.
 */
export async function pushAdapters(
  connection: Connection,
  options: { target: string; libraryId: string; name?: string | undefined; centroid?: string | undefined; images?: string | undefined; loraDb?: boolean; inlineLimitBytes?: number },
): Promise<number> {
  const folders = await findAdapterFolders(options.target, { name: options.name, centroid: options.centroid, strictLoraDb: options.loraDb ?? false });
  const images: { name: string; bytes: Uint8Array }[] = [];
  if (options.images) for await (const image of readImageFolder(options.images)) images.push({ name: image.name, bytes: image.bytes });
  const progress = progressBar(options.loraDb ? "importing" : "pushing", folders.length);
  const results: PushResult[] = [];
  for (const folder of folders) {
    progress.update(results.length, folder.name);
    try {
      results.push(await pushOne(connection, options.libraryId, folder, images, options.inlineLimitBytes ?? INLINE_BYTES));
    } catch (error) {
      // No server: every other adapter would fail the same way.
      if (error instanceof UnreachableError) throw error;
      const message = error instanceof SemlaError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
      results.push({ name: folder.name, status: "failed", detail: message });
    }
  }
  progress.finish();
  console.log(
    table(
      ["adapter", "status", "detail"],
      results.map((r) => [r.name, r.status, r.detail]),
    ),
  );
  return results.some((r) => r.status === "failed") ? 1 : 0;
}

export async function listAdapters(connection: Connection, options: { libraryId?: string | undefined; name?: string | undefined; json?: boolean }): Promise<void> {
  const rows: string[][] = [];
  const all: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await expectOk(
      await connection.client.v1.adapters.$get({
        query: { limit: "500", ...(options.libraryId ? { libraryId: options.libraryId } : {}), ...(options.name ? { name: options.name } : {}), ...(cursor ? { cursor } : {}) },
      }),
    );
    all.push(...page.items);
    for (const a of page.items) rows.push([a.id, a.name, `v${a.version}`, a.status, String(a.rank), bytes(a.byteSize), a.sampleCount === null ? "-" : String(a.sampleCount), a.createdAt]);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (options.json) return printJson(all);
  console.log(table(["id", "name", "version", "status", "rank", "size", "samples", "created"], rows));
}

export async function removeAdapters(connection: Connection, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const response = await connection.client.v1.adapters[":id"].$delete({ param: { id } });
    if (response.status !== 204) await expectOk(response);
    console.log(`removed ${id}`);
  }
}
