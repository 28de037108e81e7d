import { readFile } from "node:fs/promises";
import path from "node:path";
import { Hono } from "hono";
import { assetsDir } from "../http/assets-dir.js";
import type { AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";

/**
 * The web console at GET /console: the @semla/console package's build (dist/, made by `npm start`
 * and `npm test` before they run) served as it is. Its page calls this same API with a key the
 * user types, kept in the tab's sessionStorage. The Content-Security-Policy lets it load and call
 * nothing but this origin (the image and the mask are decoded into canvases, never loaded as URLs).
 */
export const CONSOLE_PATH = "/console";

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The content types of what Vite writes. */
const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/** A test image the Try it page offers: what it is called there, and its PNG file. */
export interface DemoImage {
  readonly label: string;
  readonly path: string;
}

/** Hashed file names: a year's caching is safe. */
const ASSET_CACHE = "public, max-age=31536000, immutable";

/** Where a bundle (the API's Lambda function) carries the console's build: `console/` beside its handler (infra/bundle.ts copyConsoleBuild). */
export const BUNDLED_CONSOLE_FOLDER = "console";

/** Where the console's build is: the installed package's dist/, else a bundle's copy; undefined where neither is. */
export function consoleDistDir(): string | undefined {
  return assetsDir("@semla/console", "dist", { folder: BUNDLED_CONSOLE_FOLDER, marker: "index.html" });
}

function notBuilt(dir: string | undefined): ApiError {
  return new ApiError("not-available", "the web console is not built here: run `npm run build -w @semla/console` (npm start does)", { dir: dir ?? null });
}

/**
 * The console's page and its assets from `dir` (a Vite build: index.html and assets/), and the demo
 * images it offers: GET /console/demo.json lists them ({label, url}), GET /console/demo/N.png is the
 * N-th (synthetic test images of the embedded default's demo library, like the page: no key).
 */
export function consoleRoutes(dir: string | undefined = consoleDistDir(), demoImages: readonly DemoImage[] = []) {
  const read = async (file: string): Promise<Uint8Array<ArrayBuffer> | undefined> => {
    if (dir === undefined) throw notBuilt(dir);
    try {
      return new Uint8Array(await readFile(path.join(dir, file)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
  const page = async () => {
    const html = await read("index.html");
    if (html === undefined) throw notBuilt(dir);
    return html;
  };
  return (
    new Hono<AppEnv>()
      .get(CONSOLE_PATH, (c) => c.redirect(`${CONSOLE_PATH}/`, 308))
      .get(`${CONSOLE_PATH}/`, async (c) => c.body(await page(), 200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CONSOLE_CSP }))
      .get(`${CONSOLE_PATH}/demo.json`, (c) => c.json(demoImages.map((image, i) => ({ label: image.label, url: `demo/${i}.png` }))))
      .get(`${CONSOLE_PATH}/demo/:file{[0-9]{1,4}\\.png}`, async (c) => {
        const image = demoImages[Number.parseInt(c.req.param("file"), 10)];
        if (image === undefined) throw new ApiError("not-found", `no demo image ${c.req.param("file")}`, { path: c.req.path });
        return c.body(new Uint8Array(await readFile(image.path)), 200, { "Content-Type": "image/png" });
      })
      // One path segment of safe characters under assets/: no way out of the folder.
      .get(`${CONSOLE_PATH}/assets/:file{[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*\\.[a-z0-9]+}`, async (c) => {
        const file = c.req.param("file");
        const type = TYPES[path.extname(file)];
        const bytes = type === undefined ? undefined : await read(path.join("assets", file));
        if (bytes === undefined || type === undefined) throw new ApiError("not-found", `no console asset ${file}`, { path: c.req.path });
        return c.body(bytes, 200, { "Content-Type": type, "Cache-Control": ASSET_CACHE });
      })
  );
}
