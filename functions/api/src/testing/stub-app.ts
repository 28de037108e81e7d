import { createLogger } from "@semla/observability";
import type { ApiKeyStore } from "@semla/registry";
import { type AppDeps, createApp } from "../app.js";
import { type RunningServer, startServer } from "../server.js";

/** The one key the stub app accepts (tenant "stub"). */
export const STUB_KEY = "semla_stub-key";

/**
 * The app over real HTTP on stub dependencies: enough for what answers before a route touches the
 * registry or the pipeline (the OpenAPI document, /docs, method and header handling, CORS,
 * authentication). A route that reaches a missing dependency fails as a 500.
 */
export function startStubApp(deps: Partial<AppDeps> = {}): Promise<RunningServer> {
  const apiKeys = { authenticate: async (key: string) => (key === STUB_KEY ? { id: "stub-key", tenant: "stub", name: "stub" } : null) } as unknown as ApiKeyStore;
  return startServer(createApp({ logger: createLogger("error", () => {}), bodyLimitBytes: 1024, apiKeys, ...deps } as AppDeps), { port: 0 });
}
