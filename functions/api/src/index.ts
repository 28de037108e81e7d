export { createApp, API_VERSION, type App, type AppDeps } from "./app.js";
export { parseConfig, ConfigError, type ApiConfig } from "./config.js";
export { createServices, type Services, type ServiceOptions } from "./services.js";
export { startServer, type RunningServer } from "./server.js";
export { createClient, type Client } from "./client.js";
export { createLogger, type Logger, type LogLevel } from "./http/logger.js";
