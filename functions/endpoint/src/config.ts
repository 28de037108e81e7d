import { parseArgs } from "node:util";
import { describeIssues } from "@semla/core";
import { ConfigError } from "@semla/service/config";
import { adapterStoreSpecOf, type StoreSpec } from "@semla/service/store";
import { z } from "zod";

export { ConfigError };

/**
 * The endpoint's configuration: flags over environment variables over defaults. The defaults are
 * the SageMaker container contract (port 8080, model artifacts in /opt/ml/model).
 */
export const EndpointConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  modelDir: z.string().min(1),
  /** Where models are generated when modelDir holds none (local runs). */
  modelsCache: z.string().min(1).optional(),
  preset: z.string().min(1),
  executionProvider: z.enum(["auto", "cuda", "cpu"]),
  /** The adapter store (@semla/service/store, from the same variables as the API's). */
  store: z.custom<StoreSpec>(),
  adapterCacheBytes: z.coerce.number().int().positive(),
  bodyLimitBytes: z.coerce.number().int().positive(),
  /** Memory for library bank sessions (bank mode); 0 turns bank mode off. */
  bankMemoryBytes: z.coerce.number().int().nonnegative(),
  /** How long a bank batch waits for more requests (ms); 0: no batching. */
  bankBatchWindowMs: z.coerce.number().nonnegative().max(1000),
  bankMaxBatch: z.coerce.number().int().min(1).max(256),
});

export type EndpointConfig = z.output<typeof EndpointConfigSchema>;

export const SERVE_USAGE = `usage: endpoint serve [options]

options (environment variable in brackets):
  --port N              [SEMLA_ENDPOINT_PORT, SAGEMAKER_BIND_TO_PORT] default 8080
  --host H              [SEMLA_ENDPOINT_HOST] default 0.0.0.0
  --model-dir DIR       [SM_MODEL_DIR] a model pack (semla-models.json + its files), default /opt/ml/model
  --models-cache DIR    [SEMLA_MODELS_CACHE] where to generate models when --model-dir has none
                        (default <repo>/.cache/models/<preset>)
  --preset NAME         [SEMLA_MODEL_PRESET] preset to generate: tiny | b16 | l14, default tiny
  --device D            [SEMLA_EXECUTION_PROVIDER] auto | cuda | cpu, default auto (CUDA when available)

adapter object store, for adapters sent by reference (the same variables as the API's):
  SEMLA_BUCKET (+ AWS_REGION, SEMLA_S3_ENDPOINT)   S3
  SEMLA_DATA_DIR                                   a data folder: its blobs folder, as the embedded API writes it
  (deprecated, still read: SEMLA_ADAPTER_BUCKET, SEMLA_ADAPTER_S3_REGION, SEMLA_ADAPTER_S3_ENDPOINT,
   SEMLA_ADAPTER_ROOT = a blobs folder itself)
  SEMLA_ADAPTER_CACHE_BYTES   adapters kept in memory (sources and fused, one cache), default 2147483648
  SEMLA_BODY_LIMIT_BYTES      largest request body, default 8388608

bank mode (requests with a library bank plan; banks are read from the adapter store's banks/ folder):
  SEMLA_BANK_MEMORY_BYTES     memory for bank sessions (one per active library, LRU), default 4294967296; 0: off
  SEMLA_BANK_BATCH_WINDOW_MS  how long a batch waits for more requests of its library, default 2; 0: no batching
  SEMLA_BANK_MAX_BATCH        most images in one batch, default 8
`;

type Env = Readonly<Record<string, string | undefined>>;

export function parseServeConfig(args: readonly string[], env: Env): EndpointConfig {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "model-dir": { type: "string" },
      "models-cache": { type: "string" },
      preset: { type: "string" },
      device: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const modelsCache = values["models-cache"] ?? env.SEMLA_MODELS_CACHE;
  const parsed = EndpointConfigSchema.safeParse({
    port: values.port ?? env.SEMLA_ENDPOINT_PORT ?? env.SAGEMAKER_BIND_TO_PORT ?? 8080,
    host: values.host ?? env.SEMLA_ENDPOINT_HOST ?? "0.0.0.0",
    modelDir: values["model-dir"] ?? env.SM_MODEL_DIR ?? "/opt/ml/model",
    ...(modelsCache ? { modelsCache } : {}),
    preset: values.preset ?? env.SEMLA_MODEL_PRESET ?? "tiny",
    executionProvider: values.device ?? env.SEMLA_EXECUTION_PROVIDER ?? "auto",
    store: adapterStoreSpecOf(env),
    adapterCacheBytes: env.SEMLA_ADAPTER_CACHE_BYTES ?? 2 * 1024 ** 3,
    bodyLimitBytes: env.SEMLA_BODY_LIMIT_BYTES ?? 8 * 1024 ** 2,
    bankMemoryBytes: env.SEMLA_BANK_MEMORY_BYTES ?? 4 * 1024 ** 3,
    bankBatchWindowMs: env.SEMLA_BANK_BATCH_WINDOW_MS ?? 2,
    bankMaxBatch: env.SEMLA_BANK_MAX_BATCH ?? 8,
  });
  if (!parsed.success) {
    throw new ConfigError(describeIssues(parsed.error.issues));
  }
  return parsed.data;
}
