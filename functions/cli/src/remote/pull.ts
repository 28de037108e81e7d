import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SemlaError } from "@semla/core";
import { sha256Hex } from "@semla/storage";
import { bytes } from "../format.js";
import { type Connection, expectOk } from "./connection.js";
import { readWithProgress } from "./transfer.js";

/** The files `adapters pull` writes, by the name GET /v1/adapters/{id}/files?file= takes. */
export const PULLED_FILES = { config: "adapter_config.json", weights: "adapter_model.safetensors", centroid: "centroid.npy" } as const;

/**
 * `adapters pull ID --out DIR`: a registered adapter's own files (adapter_config.json as registered,
 * adapter_model.safetensors byte for byte, its centroid as centroid.npy) into DIR (made if missing),
 * the weights checked against the adapter's sha256 before anything is written; `adapters push DIR`
 * registers the folder again.
 */
export async function pullAdapter(connection: Connection, id: string, out: string): Promise<void> {
  const adapter = await expectOk(await connection.client.v1.adapters[":id"].$get({ param: { id } }));
  const files: Partial<Record<keyof typeof PULLED_FILES, Uint8Array>> = {};
  for (const file of ["config", "weights", "centroid"] as const) {
    const response = await connection.client.v1.adapters[":id"].files.$get({ param: { id }, query: { file } });
    if (!response.ok) await expectOk(response);
    files[file] = await readWithProgress(response as unknown as Response, `downloading ${PULLED_FILES[file]}`);
  }
  const actual = sha256Hex(files.weights as Uint8Array);
  if (actual !== adapter.sha256) {
    throw new SemlaError("cli.integrity", `the weights downloaded for ${adapter.name} v${adapter.version} do not match its sha256 (expected ${adapter.sha256}, got ${actual}): pull again`, {
      expected: adapter.sha256,
      actual,
    });
  }
  await mkdir(out, { recursive: true });
  for (const [file, name] of Object.entries(PULLED_FILES)) await writeFile(path.join(out, name), files[file as keyof typeof PULLED_FILES] as Uint8Array);
  console.log(`${adapter.name} v${adapter.version} (${adapter.id}, ${bytes((files.weights as Uint8Array).byteLength)}) → ${out}`);
}
