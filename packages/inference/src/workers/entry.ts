import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * Where a worker's code is and how to start it. From a build the entry is the sibling
 * `ort-worker.js`: a bundler must emit `workers/ort-worker.ts` as its own entry point beside the
 * bundle (or the caller passes `workerEntry`). From source (vitest, tsx) it is a .ts file, which
 * a bare worker cannot load: `execArgv: ['--import', 'tsx']` does not work for a worker's entry on
 * Node 20 (the hooks are registered after the entry is resolved: "Unknown file extension .ts"),
 * so a small bootstrap registers tsx's ESM hooks in the worker itself and then imports the entry.
 */

export interface WorkerEntry {
  /** The worker's code file. */
  readonly filename: URL;
  /** First argument of `new Worker()`: the file itself, or the bootstrap source (with `eval`). */
  readonly script: string | URL;
  readonly eval: boolean;
}

const TYPESCRIPT = /\.[cm]?ts$/;

/** tsx's ESM API module (`tsx/esm/api`, its import flavour), resolved from this package. */
function tsxEsmApi(): string {
  const resolved = createRequire(import.meta.url).resolve("tsx/esm/api");
  const esm = resolved.replace(/\.cjs$/, ".mjs");
  return pathToFileURL(existsSync(esm) ? esm : resolved).href;
}

/** How to start `filename`; TypeScript entries go through the tsx bootstrap. */
export function workerEntry(filename: string | URL): WorkerEntry {
  const url = typeof filename === "string" ? (filename.startsWith("file:") ? new URL(filename) : pathToFileURL(filename)) : filename;
  if (!TYPESCRIPT.test(url.pathname)) return { filename: url, script: url, eval: false };
  // Eval'd worker code is CommonJS; a rejected import() kills the worker with that error, which the pool reports.
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return { filename: url, script: bootstrap, eval: true };
}

/** The ONNX Runtime worker next to this module, .ts from source, .js from a build. */
export function ortWorkerEntry(): WorkerEntry {
  const fromSource = TYPESCRIPT.test(new URL(import.meta.url).pathname);
  return workerEntry(new URL(fromSource ? "./ort-worker.ts" : "./ort-worker.js", import.meta.url));
}
