import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createLogger, createServices, expireUploads, type Logger, startNodeServer } from "@semla/api";
import { createApiKeyStore, hashApiKey, type LibraryRecord } from "@semla/registry";
import { type ServiceConfig as ApiConfig, openRegistry, publicUrlOf } from "@semla/service";
import { removeServerFile, writeServerFile } from "@semla/service/data-folder";
import { ensureWorldLibrary, WORLD_SPECS } from "@semla/world";
import { ensureAdminToken } from "./admin-token.js";
import { ensureLocalKey, LOCAL_TENANT } from "./local-key.js";
import { packLibrary } from "./pack-library.js";
import type { SeededLibrary, SeedLibrary } from "./seed.js";

export interface EmbeddedServer {
  readonly url: string;
  readonly apiKey: string;
  readonly seeded: SeededLibrary;
  readonly startMs: number;
  close(): Promise<void>;
}

/**
 * The embedded default: the API on localhost over PGlite + pgvector, the filesystem store and the
 * local inference backend, with a local tenant, its API key and the demo library (seeded on first
 * run). `seedLibrary` makes the demo library and its models; by default the synthetic world's
 * fitted library (`ensureWorldLibrary`), the one `semla eval` measures.
 */
export async function startEmbedded(config: ApiConfig, options: { seedLibrary?: SeedLibrary; logger?: Logger; onProgress?: (message: string) => void } = {}): Promise<EmbeddedServer> {
  const started = performance.now();
  const logger = options.logger ?? createLogger(config.SEMLA_LOG_LEVEL);
  const dataDir = path.resolve(config.SEMLA_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  // Locks the folder (a second server on it is refused here, naming this one).
  const registry = await openRegistry(config);
  // What a failure below must close: the registry, then the services that own it (and the folder's lock).
  let cleanup: () => Promise<void> = () => registry.index.close();
  try {
    options.onProgress?.(`starting the embedded default in ${dataDir} (the first run generates the models and the demo library)`);
    const apiKey = await ensureLocalKey(dataDir, createApiKeyStore(registry.index.db));
    const expired = await expireUploads(registry.store);
    if (expired.length > 0) logger.log("info", "expired abandoned uploads", { objects: expired.length });
    const adminToken = await ensureAdminToken(dataDir);
    const seedLibrary =
      options.seedLibrary ?? (config.SEMLA_MODELS_DIR !== undefined ? packLibrary(config.SEMLA_MODELS_DIR) : (input) => ensureWorldLibrary({ ...input, spec: WORLD_SPECS[config.SEMLA_WORLD] }));
    const seeded = await seedLibrary({
      dataDir,
      index: registry.index,
      store: registry.store,
      tenant: LOCAL_TENANT,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    cleanup = async () => undefined; // createServices closes the registry when it fails
    const services = await createServices({ ...config, SEMLA_ADMIN_TOKEN_SHA256: config.SEMLA_ADMIN_TOKEN_SHA256 ?? hashApiKey(adminToken) }, { registry, models: seeded.models, logger });
    cleanup = () => services.close();
    // With the sweep of what interrupted uploads left (a pending row, an orphan object), now and periodically.
    const demoImages = seeded.testImages.map((t) => ({ label: `${t.domain}/${path.basename(t.path)}`, path: t.path }));
    const server = await startNodeServer(services, config, { demoImages });
    const url = config.SEMLA_PUBLIC_URL ?? server.url;
    if (url !== publicUrlOf(config) && config.SEMLA_PORT === 0) logger.log("warn", "port 0: presigned upload URLs of the filesystem store will not reach this server", { url });
    const serverFile = { url, pid: process.pid, libraryId: seeded.library.id };
    await writeServerFile(dataDir, serverFile);
    return {
      url,
      apiKey,
      seeded,
      startMs: performance.now() - started,
      async close() {
        await removeServerFile(dataDir, serverFile);
        await server.close();
        await services.close(); // and with the registry, the folder's lock
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** One shell word, whatever it holds (class names have spaces; checkouts may too). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What `npm start` prints: a curl and a CLI call that work as they are. */
export function usageExamples(server: { url: string; apiKey: string }, library: LibraryRecord, seeded: Pick<SeededLibrary, "classNames" | "testImages">): string {
  const image = seeded.testImages[0]?.path ?? "IMAGE.png";
  const classes = seeded.classNames;
  // A model pack's library starts empty (no test images either): its examples add adapters and segment zero-shot until then.
  const pack = seeded.testImages.length === 0;
  const mode = pack ? `,"options":{"mode":"zeroshot"}` : "";
  const body = `{"libraryId":"${library.id}","classNames":${JSON.stringify(classes)},"image":"'"$(base64 -w0 ${shellQuote(image)})"'"${mode}}`;
  return [
    `SemLA Serve is running at ${server.url} (embedded: PGlite + pgvector, filesystem store, local CPU inference)`,
    `${pack ? "model pack library" : "demo library"} "${library.name}" ${library.id}; tenant "${LOCAL_TENANT}" (its API key is kept in SEMLA_DATA_DIR/api-key)`,
    "",
    "Try it:",
    ...(pack ? [`  npx semla adapters push ADAPTER_DIR --library ${library.id} --images TRAINING_IMAGES_DIR`] : []),
    `  curl -s ${server.url}/v1/segment -H 'authorization: Bearer ${server.apiKey}' -H 'content-type: application/json' \\`,
    `    -d '${body}' | head -c 400; echo`,
    "",
    `  npx semla segment ${shellQuote(image)} --library ${library.id} --classes ${shellQuote(classes.join(","))}${pack ? " --mode zeroshot" : ""} --out mask.png --overlay overlay.png`,
    `  npx semla adapters ls --library ${library.id}`,
    "",
    `Web console: ${server.url}/console/ (sign in with the API key in SEMLA_DATA_DIR/api-key)`,
    `API reference: ${server.url}/openapi.json`,
  ].join("\n");
}
