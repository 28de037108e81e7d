import { createRoute, z } from "@hono/zod-openapi";
import { readStoredWeights } from "@semla/adapters";
import { numpy } from "@semla/core";
import { RegistryError } from "@semla/registry";
import { sha256Hex } from "@semla/storage";
import type { ApiDeps } from "../http/env.js";
import { AUTH, errorResponses, UuidParam } from "../http/openapi.js";
import { newRouter } from "../http/router.js";

/** The three files of a registered adapter, by the name `?file=` takes, with their names on disk. */
export const ADAPTER_FILES = {
  config: { fileName: "adapter_config.json", contentType: "application/json" },
  weights: { fileName: "adapter_model.safetensors", contentType: "application/octet-stream" },
  centroid: { fileName: "centroid.npy", contentType: "application/octet-stream" },
} as const;
export type AdapterFile = keyof typeof ADAPTER_FILES;

const FileQuerySchema = z.object({
  file: z.enum(["config", "weights", "centroid"]).describe("Which file: config (adapter_config.json), weights (adapter_model.safetensors) or centroid (centroid.npy)"),
});

const files = createRoute({
  method: "get",
  path: "/v1/adapters/{id}/files",
  operationId: "getAdapterFile",
  summary: "Download a registered adapter's file",
  tags: ["adapters"],
  security: AUTH,
  description:
    "One file of a registered adapter (active or superseded), so a registry is never a one-way door: `config` is adapter_config.json as registered, `weights` is " +
    "adapter_model.safetensors byte for byte from the store (verified against the adapter's sha256 first), `centroid` is its centroid as a float32 .npy (np.load reads it). " +
    "Each answer is the file itself, named in Content-Disposition, with its sha256 (hex) as the ETag. `semla adapters pull ID --out DIR` fetches all three.",
  request: { params: UuidParam, query: FileQuerySchema },
  responses: {
    200: {
      description: "The file's bytes",
      headers: z.object({
        "content-disposition": z.string().describe('attachment; filename="adapter_config.json" | "adapter_model.safetensors" | "centroid.npy"'),
        etag: z.string().describe("The file's sha256 (hex), quoted; for weights, the adapter's sha256"),
      }),
      content: {
        "application/json": { schema: z.record(z.string(), z.unknown()).describe("file=config: adapter_config.json") },
        "application/octet-stream": { schema: z.string().openapi({ type: "string", format: "binary" }).describe("file=weights: adapter_model.safetensors; file=centroid: centroid.npy") },
      },
    },
    ...errorResponses(400, 401, 404),
  },
});

/** A registered adapter's file bytes; pending adapters (an upload in progress) and other tenants' are unknown (404). */
export function adapterFilesRoutes(deps: Pick<ApiDeps, "index" | "store">) {
  return newRouter().openapi(files, async (c) => {
    const { id } = c.req.valid("param");
    const { file } = c.req.valid("query");
    const record = await deps.index.getAdapter(c.get("tenant"), id);
    if (!record || record.status === "pending") throw new RegistryError("unknown-adapter", `adapter ${id} does not exist`, { adapterId: id });
    const bytes =
      file === "weights"
        ? await readStoredWeights(deps.store, record, `adapter ${record.name} v${record.version} (${record.id})`)
        : file === "config"
          ? new TextEncoder().encode(`${JSON.stringify(record.config, null, 2)}\n`)
          : numpy.writeNpy([record.centroid.length], record.centroid);
    const { fileName, contentType } = ADAPTER_FILES[file];
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": contentType,
      "content-disposition": `attachment; filename="${fileName}"`,
      etag: `"${file === "weights" ? record.sha256 : sha256Hex(bytes)}"`,
    });
  });
}
