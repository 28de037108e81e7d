import { createRoute, z } from "@hono/zod-openapi";
import { fusion, LIMITS, numpy, peft, text } from "@semla/core";
import { type FuseResult, type FuseSelection, type Pipeline, RouteOptionsSchema } from "@semla/pipeline";
import { sha256Hex } from "@semla/storage";
import type { ApiDeps } from "../http/env.js";
import { ApiError } from "../http/errors.js";
import { AUTH, backendErrorResponses } from "../http/openapi.js";
import { newRouter } from "../http/router.js";
import type { UploadStore } from "../uploads/upload-store.js";
import { ImageInputShape, readImageInput, usingImage } from "./image-input.js";

/** The safetensors `__metadata__` key holding the fusion's plan (JSON), and the one naming the mixture. */
export const PLAN_METADATA_KEY = "semla.plan";
export const MIXTURE_METADATA_KEY = "semla.mixture";
export const FUSED_ZIP_NAME = "fused-adapter.zip";

/** The segment route's options, less mode and adapter: routing (k, temperature, metric, exclude, exact, efSearch) and fusion. */
const FuseOptionsSchema = RouteOptionsSchema.extend({
  fusion: fusion.FusionOptionsSchema.default({ combination: "cat" }).describe("How the adapters are combined (PEFT add_weighted_adapter)"),
});

const WeightedAdapterSchema = z.strictObject({
  adapter: text().min(1).max(LIMITS.adapterName).describe("Adapter id (any registered version) or name (its active version)"),
  weight: z.number().min(-LIMITS.fusionWeight).max(LIMITS.fusionWeight).describe("Its weight, as PEFT's add_weighted_adapter takes it (need not sum to 1; negative subtracts)"),
});

const FuseRequestSchema = z
  .strictObject({
    libraryId: text(),
    ...ImageInputShape,
    embedding: z.array(z.number()).max(LIMITS.dimension).optional().describe("A query embedding to route, instead of an image"),
    adapters: z.array(WeightedAdapterSchema).min(1).max(LIMITS.k).optional().describe("The adapters and weights to fuse, instead of routing an image or embedding"),
    options: FuseOptionsSchema.optional().describe("Routing options (with an image or embedding only) and the combination"),
  })
  .openapi("FuseRequest");

const fuse = createRoute({
  method: "post",
  path: "/v1/fuse",
  operationId: "fuse",
  summary: "Download a fused adapter (PEFT folder, zipped)",
  tags: ["inference"],
  security: AUTH,
  description:
    "The fused adapter to take away, as a PEFT adapter folder zipped (stored, no compression): adapter_config.json and adapter_model.safetensors, " +
    "whose tensors are base_model.model.<module>.lora_A.weight [r, in] and .lora_B.weight [out, r] (float32), each source's alpha/r folded into the factors " +
    `(lora_alpha = r), and whose __metadata__ holds the plan as JSON under "${PLAN_METADATA_KEY}" (library, combination, adapters with weights, the routed plan). ` +
    "PeftModel.from_pretrained(base_model, folder) loads the unzipped folder. What is fused: exactly one of image, imageUpload or embedding (routed as /v1/route routes) " +
    "or adapters (ids or names with weights). An answer over the host's limit (on Lambda 4.5 MB of zip; elsewhere 1 GiB) is refused with 413 api.answer-too-large naming " +
    "its size: fuse fewer adapters (options.k), to a lower rank (options.fusion: svd with a rank), or on `semla serve`.",
  request: { body: { required: true, content: { "application/json": { schema: FuseRequestSchema } } } },
  responses: {
    200: {
      description: `${FUSED_ZIP_NAME}: adapter_config.json + adapter_model.safetensors`,
      headers: z.object({
        "content-disposition": z.string().describe(`attachment; filename="${FUSED_ZIP_NAME}"`),
        etag: z.string().describe("The zip's sha256 (hex), quoted"),
      }),
      content: { "application/zip": { schema: z.string().openapi({ type: "string", format: "binary" }) } },
    },
    ...backendErrorResponses(400, 401, 404, 413, 415),
  },
});

type FuseRequest = z.output<typeof FuseRequestSchema>;

/** The plan as the fused weights carry it: enough to say what was fused, from what, and how. */
export function planMetadata(result: FuseResult, options: fusion.FusionOptions): string {
  return JSON.stringify({
    libraryId: result.library.id,
    fusion: options,
    adapters: result.contributions.map((c) => ({ id: c.adapterId, name: c.name, version: c.version, weight: c.weight, distance: c.distance, similarity: c.similarity })),
    plan: result.plan,
  });
}

/** The fused adapter as a PEFT folder, zipped; the plan and the mixture's name in the safetensors metadata. */
export function fusedZip(result: FuseResult, options: fusion.FusionOptions): Uint8Array {
  const files = peft.writePeftAdapter(result.adapter, { [PLAN_METADATA_KEY]: planMetadata(result, options), [MIXTURE_METADATA_KEY]: result.sha256 });
  return numpy.writeZip([
    { name: "adapter_config.json", bytes: new TextEncoder().encode(files.config) },
    { name: "adapter_model.safetensors", bytes: files.weights },
  ]);
}

function routingGiven(options: FuseRequest["options"]): boolean {
  if (!options) return false;
  return options.k !== undefined || options.temperature !== undefined || options.metric !== undefined || options.efSearch !== undefined || options.exclude.length > 0 || options.exact;
}

export function fuseRoutes(deps: ApiDeps & { uploads: UploadStore; pipeline: Pipeline }) {
  const limit = deps.answerLimitBytes ?? LIMITS.fusedAdapterBytes;
  return newRouter().openapi(fuse, async (c) => {
    const body = c.req.valid("json");
    const tenant = c.get("tenant");
    const hasImage = body.image !== undefined || body.imageUpload !== undefined;
    const given = [hasImage, body.embedding !== undefined, body.adapters !== undefined].filter(Boolean).length;
    if (given !== 1) throw new ApiError("invalid-request", "give exactly one of image, imageUpload, embedding (routed) or adapters (with weights)");
    if (body.adapters && routingGiven(body.options))
      throw new ApiError("invalid-request", "routing options (k, temperature, metric, exclude, exact, efSearch) apply only to a routed fusion, not to given adapters");
    const options = body.options ?? FuseOptionsSchema.parse({});
    const { fusion: combination, ...routeOptions } = options;
    const run = (selection: FuseSelection) => deps.pipeline.fuse({ tenant, libraryId: body.libraryId, selection, fusion: combination, signal: c.req.raw.signal });
    let result: FuseResult;
    if (body.adapters) result = await run({ adapters: body.adapters });
    else if (body.embedding) result = await run({ query: { embedding: Float32Array.from(body.embedding) }, options: routeOptions });
    else {
      const image = await readImageInput(body, tenant, deps.uploads);
      result = await usingImage(image, () => run({ query: { image: image.bytes }, options: routeOptions }));
    }
    const zip = fusedZip(result, combination);
    if (zip.byteLength > limit) {
      const rank = Math.max(0, ...result.adapter.modules.map((m) => m.rank));
      throw new ApiError(
        "answer-too-large",
        `the fused adapter is ${zip.byteLength} bytes (rank ${rank}, ${result.adapter.modules.length} modules), over this API's ${limit}-byte answer limit: fuse fewer adapters (options.k), to a lower rank (options.fusion {"combination":"svd","rank":8}), or on a server without the limit (semla serve)`,
        { bytes: zip.byteLength, limit, rank },
      );
    }
    return c.body(zip as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="${FUSED_ZIP_NAME}"`,
      etag: `"${sha256Hex(zip)}"`,
    });
  });
}
