export { createLogger, type Logger, type LogLevel } from "@semla/observability";
export { type ApiConfig, ConfigError, parseConfig, type ServiceConfig } from "@semla/service/config";
export {
  type FolderLock,
  FolderLockError,
  isAlive,
  LOCK_FILE,
  type LockHolder,
  lockDataFolder,
  lockHolderOf,
  readServerFile,
  runningServer,
  SERVER_FILE,
  type ServerFile,
} from "@semla/service/data-folder";
export { API_VERSION, type App, type AppDeps, createApp } from "./app.js";
export {
  type CapacityWait,
  type Client,
  createClient,
  SCALING_FROM_ZERO,
  SIGNATURE_HEADER,
  signWebhook,
  type VerifyOptions,
  verifyWebhook,
  type WaitForCapacityOptions,
  waitForCapacity,
} from "./client.js";
export { type ApiKeyView, apiKeyView, TenantSchema } from "./routes/admin.js";
export { type RunningServer, startNodeServer, startServer } from "./server.js";
export { createServices, openRegistry, openSageMakerBackend, publicUrlOf, type Registry, type ServiceOptions, type Services } from "./services.js";
export { type PeriodicSweep, startPeriodicSweep } from "./sweep/periodic.js";
export { expireUploads } from "./uploads/expire.js";
