// Test support (not exported): the API as a real HTTP server on the embedded stack (PGlite, the
// filesystem store, the generated tiny models), with one tenant, one library and two adapters.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { peft, randomAdapter } from "@semla/core";
import { createLogger } from "@semla/observability";
import { type AdapterRecord, type LibraryRecord, registerAdapter } from "@semla/registry";
import { parseConfig } from "@semla/service";
import sharp from "sharp";
import { type AppDeps, createApp } from "../app.js";
import { type RunningServer, startServer } from "../server.js";
import { createServices, type Services } from "../services.js";

export interface EmbeddedStack {
  readonly url: string;
  readonly dir: string;
  readonly services: Services;
  readonly key: string;
  readonly library: LibraryRecord;
  readonly adapters: readonly AdapterRecord[];
  /** A small PNG to segment. */
  readonly image: Uint8Array;
  /** A request with the tenant's key (JSON in and out). */
  call(method: string, route: string, options?: { body?: unknown; key?: string | null }): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startEmbeddedStack(
  options: { env?: Readonly<Record<string, string>>; app?: Partial<AppDeps>; before?: (dir: string) => Promise<Readonly<Record<string, string>>> } = {},
): Promise<EmbeddedStack> {
  const dir = await mkdtemp(path.join(tmpdir(), "semla-api-stack-"));
  const extra = (await options.before?.(dir)) ?? {};
  const config = parseConfig({ SEMLA_DATA_DIR: dir, SEMLA_MODEL_PRESET: "tiny", SEMLA_SWEEP_INTERVAL_MS: "0", ...options.env, ...extra });
  const services = await createServices(config, { logger: createLogger("error", () => {}) });
  let server: RunningServer | undefined;
  try {
    server = await startServer(createApp({ ...services, ...options.app }), { port: 0 });
    const { key } = await services.apiKeys.create("tenant-a", "observability");
    const pack = services.models;
    const dimension = pack.imageEncoder.dimension;
    const library = await services.index.createLibrary({
      tenant: "tenant-a",
      name: "world",
      baseModelId: pack.segmenter!.id,
      embeddingModelId: pack.imageEncoder.id,
      dimension,
      metric: "euclidean",
    });
    const adapters: AdapterRecord[] = [];
    for (const [i, name] of ["fog", "night"].entries()) {
      const files = peft.writePeftAdapter(randomAdapter({ modules: pack.segmenter!.loraModules, rank: 2, seed: 7 + i, baseModel: pack.segmenter!.id }));
      const centroid = new Float32Array(dimension).fill(0);
      centroid[i] = 1;
      const { adapter } = await registerAdapter(
        { index: services.index, store: services.store },
        { tenant: "tenant-a", libraryId: library.id, name, config: files.config, weights: files.weights, centroid },
      );
      adapters.push(adapter);
    }
    const pixels = new Uint8Array(24 * 16 * 3).map((_, i) => (i * 37) % 256);
    const image = new Uint8Array(
      await sharp(pixels, { raw: { width: 24, height: 16, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const url = server.url;
    const running = server;
    return {
      url,
      dir,
      services,
      key,
      library,
      adapters,
      image,
      async call(method, route, { body, key: given } = {}) {
        const headers: Record<string, string> = {};
        if (given !== null) headers.authorization = `Bearer ${given ?? key}`;
        if (body !== undefined) headers["content-type"] = "application/json";
        const response = await fetch(`${url}${route}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        return { status: response.status, body: parsed, text, headers: response.headers };
      },
      async close() {
        await running.close();
        await services.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    await services.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
