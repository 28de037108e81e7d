import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The console package's folder and its build's. */
export const CONSOLE_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const CONSOLE_DIST = path.join(CONSOLE_DIR, "dist");

/** Builds the console (Vite, about a second) unless dist/ holds a build: `npm test` builds it first, a lone `vitest run` here. */
export async function ensureConsoleBuilt(): Promise<string> {
  if (!existsSync(path.join(CONSOLE_DIST, "index.html"))) {
    const { build } = await import("vite");
    await build({ root: CONSOLE_DIR, configFile: path.join(CONSOLE_DIR, "vite.config.ts"), logLevel: "error" });
  }
  return CONSOLE_DIST;
}
