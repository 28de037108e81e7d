import { randomUUID } from "node:crypto";
import type { BlobStore, PresignedPut } from "@semla/storage";
import { z } from "zod";
import { ApiError } from "../http/errors.js";

/**
 * Presigned uploads, for files over the request size limit (large adapters; images over the 6 MB
 * Lambda/SageMaker payload limit). Each upload is a folder `uploads/<uuid>/` in the bucket: the
 * service writes `upload.json` (owner tenant, kind, what was declared) and presigns one PUT for the
 * file beside it. Nothing user-written ever names a key. The bucket's lifecycle rule expires
 * abandoned uploads; a completed one is deleted by the API.
 */
export const UPLOADS_PREFIX = "uploads/";
/** How long a presigned PUT stays valid. */
export const UPLOAD_EXPIRY_SECONDS = 15 * 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const UploadManifestSchema = z.object({
  tenant: z.string(),
  kind: z.enum(["adapter", "image"]),
  createdAt: z.string(),
  /** What the kind needs at completion (the adapter's library, name, config, centroid). */
  declared: z.record(z.string(), z.unknown()),
  fileBytes: z.number().int().positive(),
});
export type UploadManifest = z.infer<typeof UploadManifestSchema>;

export interface UploadGrant {
  readonly uploadId: string;
  readonly upload: PresignedPut;
}

const manifestKey = (id: string) => `${UPLOADS_PREFIX}${id}/upload.json`;
export const uploadFileKey = (id: string) => `${UPLOADS_PREFIX}${id}/file`;

function notFound(id: string): ApiError {
  return new ApiError("not-found", `upload ${id} does not exist (or has expired)`, { uploadId: id });
}

export interface UploadStore {
  begin(tenant: string, kind: UploadManifest["kind"], fileBytes: number, declared: Record<string, unknown>, contentType?: string): Promise<UploadGrant>;
  /** The tenant's upload of this kind with its file in place; 404 for anyone else's, a 400 while the file is not uploaded. */
  open(tenant: string, kind: UploadManifest["kind"], id: string): Promise<{ manifest: UploadManifest; file: Uint8Array }>;
  /** Removes the file and the manifest (idempotent). */
  discard(id: string): Promise<void>;
}

export function createUploadStore(store: BlobStore): UploadStore {
  return {
    async begin(tenant, kind, fileBytes, declared, contentType) {
      const uploadId = randomUUID();
      const manifest: UploadManifest = { tenant, kind, createdAt: new Date().toISOString(), declared, fileBytes };
      await store.put(manifestKey(uploadId), new TextEncoder().encode(JSON.stringify(manifest)), { contentType: "application/json" });
      const upload = await store.presignPut(uploadFileKey(uploadId), { expiresInSeconds: UPLOAD_EXPIRY_SECONDS, contentLength: fileBytes, ...(contentType ? { contentType } : {}) });
      return { uploadId, upload };
    },
    async open(tenant, kind, id) {
      if (!UUID.test(id)) throw notFound(id);
      const manifestInfo = await store.head(manifestKey(id));
      if (!manifestInfo) throw notFound(id);
      const parsed = UploadManifestSchema.safeParse(JSON.parse(new TextDecoder().decode(await store.get(manifestKey(id)))));
      // Another tenant's upload is as absent as a missing one.
      if (!parsed.success || parsed.data.tenant !== tenant || parsed.data.kind !== kind) throw notFound(id);
      const info = await store.head(uploadFileKey(id));
      if (!info) throw new ApiError("upload-missing", `upload ${id}: the file has not been uploaded yet (PUT it to the presigned URL first)`, { uploadId: id });
      return { manifest: parsed.data, file: await store.get(uploadFileKey(id)) };
    },
    async discard(id) {
      if (!UUID.test(id)) return;
      await store.delete(uploadFileKey(id));
      await store.delete(manifestKey(id));
    },
  };
}
