import { text } from "@semla/core";
import { BackendError } from "@semla/inference";
import { base64Bytes } from "../http/base64.js";
import { ApiError } from "../http/errors.js";
import type { UploadStore } from "../uploads/upload-store.js";

/** An image in a JSON body: base64 when it fits the request, else the id of a presigned upload. */
export const ImageInputShape = {
  image: base64Bytes().optional().describe("Encoded image (JPEG, PNG, WebP), base64"),
  imageUpload: text().optional().describe("uploadId of an image PUT through POST /v1/uploads/images (over 6 MB); used once"),
};

export interface ImageInput {
  /** Decoded by the body's schema. */
  readonly image?: Uint8Array | undefined;
  readonly imageUpload?: string | undefined;
}

/** The image bytes, and what to do once the request is done with them, answered or refused (delete the upload: used once). */
export async function readImageInput(input: ImageInput, tenant: string, uploads: UploadStore): Promise<{ bytes: Uint8Array; done: () => Promise<void> }> {
  if ((input.image === undefined) === (input.imageUpload === undefined)) throw new ApiError("invalid-request", "give exactly one of image (base64) or imageUpload (an upload id)");
  if (input.image !== undefined) return { bytes: input.image, done: async () => {} };
  const id = input.imageUpload as string;
  const { file } = await uploads.open(tenant, "image", id);
  return { bytes: file, done: () => uploads.discard(id) };
}

/**
 * Runs `work` on the image, then lets its upload go (used once), answered or refused: except when the
 * answer asks for the same request again once the GPU is back (backend.scaling-from-zero), which needs
 * the upload; the bucket's lifecycle rule (the embedded default: its expiry at start) removes it if no
 * retry comes.
 */
export async function usingImage<T>(image: { done: () => Promise<void> }, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    await image.done();
    return result;
  } catch (error) {
    if (!(error instanceof BackendError && error.rule === "scaling-from-zero")) await image.done();
    throw error;
  }
}
