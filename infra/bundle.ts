import { existsSync, readFileSync } from "node:fs";
import { copyFile, cp, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * How this project's Node code is bundled for the cloud (the endpoint image, the API function's
 * worker): one ESM file per entry, native packages left out (installed beside the bundle, their
 * binaries cannot be bundled). ONNX Runtime runs in worker threads whose code is a file of its own:
 * `ortWorkerEntry()` looks for `ort-worker.js` beside the module that imports it, so every bundle
 * that embeds gets the worker emitted next to it.
 */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const ORT_WORKER_ENTRY = "packages/inference/src/workers/ort-worker.ts";
export const NATIVE_PACKAGES = ["onnxruntime-node", "sharp"] as const;

/**
 * The native packages' exact versions, as packages/inference (their one importer) pins them: what
 * a bundle installs beside itself (the API function's `nodejs.install`, the endpoint image).
 */
export function nativePackageVersions(): Record<(typeof NATIVE_PACKAGES)[number], string> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "packages/inference/package.json"), "utf8")) as { dependencies: Record<string, string> };
  const versions = Object.fromEntries(NATIVE_PACKAGES.map((name) => [name, manifest.dependencies[name]]));
  for (const [name, version] of Object.entries(versions)) {
    if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`packages/inference/package.json pins ${name} at ${JSON.stringify(version)}: an exact version is needed`);
  }
  return versions as Record<(typeof NATIVE_PACKAGES)[number], string>;
}

// Bundled CommonJS dependencies call require(); an ES module has none unless given one.
const REQUIRE_SHIM = "import { createRequire as __semlaCreateRequire } from 'node:module'; const require = __semlaCreateRequire(import.meta.url);";

export interface BundledFile {
  readonly file: string;
  readonly bytes: number;
}

/**
 * Bundles `entries` (paths from the repository root) into `outdir`, one `<name>.js` each, with a
 * package.json marking them ES modules. Returns the files written and their sizes.
 */
export async function bundleNode(entries: readonly string[], outdir: string): Promise<BundledFile[]> {
  const result = await build({
    entryPoints: entries.map((entry) => path.join(ROOT, entry)),
    outdir,
    entryNames: "[name]",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: [...NATIVE_PACKAGES],
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: "warning",
  });
  await writeFile(path.join(outdir, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`);
  return Object.entries(result.metafile.outputs)
    .map(([file, output]) => ({ file: path.relative(outdir, path.resolve(file)), bytes: output.bytes }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** The reference endpoint (the container's program) and its ONNX Runtime worker. */
export const ENDPOINT_ENTRIES = ["functions/endpoint/src/main.ts", ORT_WORKER_ENTRY] as const;

/** The ONNX Runtime worker, written beside a function's handler bundle (`handlerDir`, a folder). */
export async function bundleOrtWorker(handlerDir: string): Promise<BundledFile[]> {
  return bundleNode([ORT_WORKER_ENTRY], handlerDir);
}

// `tsx infra/bundle.ts OUTDIR`: the endpoint image's build step (functions/endpoint/Dockerfile).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2];
  if (!outdir) {
    process.stderr.write("usage: tsx infra/bundle.ts OUTDIR   (bundles the reference endpoint and its worker)\n");
    process.exit(2);
  }
  for (const { file, bytes } of await bundleNode(ENDPOINT_ENTRIES, path.resolve(outdir))) {
    process.stdout.write(`${file}\t${bytes}\n`);
  }
}

/** The /docs page's assets (swagger-ui-dist's stylesheet and script) the API serves, and the folder beside the handler it looks in. */
export const DOCS_ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js"] as const;
export const BUNDLED_DOCS_FOLDER = "swagger-ui";

/**
 * Copies the /docs page's assets beside a bundled API handler (SST bundles the handler alone, and
 * swagger-ui-dist is no native package to install): `<dir>/swagger-ui/`, where the docs route looks
 * when the package is not installed. Returns the files written.
 */
export async function copyDocsAssets(dir: string): Promise<string[]> {
  const from = path.dirname(createRequire(path.join(ROOT, "functions/api/package.json")).resolve("swagger-ui-dist/package.json"));
  const to = path.join(dir, BUNDLED_DOCS_FOLDER);
  await mkdir(to, { recursive: true });
  return Promise.all(
    DOCS_ASSETS.map(async (file) => {
      await copyFile(path.join(from, file), path.join(to, file));
      return path.join(to, file);
    }),
  );
}

export const BUNDLED_CONSOLE_FOLDER = "console";

/**
 * Copies the web console's build beside a bundled API handler (`<dir>/console/`, where the console
 * route looks when @semla/console is not installed), building it first (Vite, a second or two) when
 * the checkout has none. Returns the folder written.
 */
export async function copyConsoleBuild(dir: string): Promise<string> {
  const consoleDir = path.join(ROOT, "packages/console");
  const dist = path.join(consoleDir, "dist");
  if (!existsSync(path.join(dist, "index.html"))) {
    const { build: vite } = await import("vite");
    await vite({ root: consoleDir, configFile: path.join(consoleDir, "vite.config.ts"), logLevel: "error" });
  }
  const to = path.join(dir, BUNDLED_CONSOLE_FOLDER);
  await cp(dist, to, { recursive: true });
  return to;
}
