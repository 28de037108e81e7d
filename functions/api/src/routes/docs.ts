import { readFile } from "node:fs/promises";
import path from "node:path";
import { Hono } from "hono";
import { assetsDir } from "../http/assets-dir.js";
import type { AppEnv } from "../http/env.js";
import { ApiError } from "../http/errors.js";

/**
 * The interactive API reference at GET /docs: Swagger UI (swagger-ui-dist, Apache-2.0, served from
 * the installed package: the bundle 1.8 MB, its stylesheet 0.2 MB) over the app's own /openapi.json.
 * Nothing is fetched from elsewhere: the page names only its own assets and the document (relative
 * URLs, so a path prefix in front of the API keeps working), the validator badge (which calls
 * validator.swagger.io) is off, and the page's Content-Security-Policy lets the browser load
 * nothing from another origin.
 */
export const DOCS_PATH = "/docs";

/** The assets the page loads, by the name it loads them under, and the file of swagger-ui-dist each is. */
export const ASSETS = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
} as const;

// Relative to /docs: "docs/x" is /docs/x and "openapi.json" is /openapi.json, under any prefix.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SemLA Serve API reference</title>
    <link rel="stylesheet" href="docs/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/init.js"></script>
  </body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** The page's policy: its own scripts, styles (Swagger UI sets inline styles) and images only; requests to its own origin only. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The assets are the installed package's: they change with it, so a day's caching is safe. */
const ASSET_CACHE = "public, max-age=86400";

/** Where a bundle (the API's Lambda function) carries the assets: `swagger-ui/` beside its handler (infra/bundle.ts copyDocsAssets). */
export const BUNDLED_DOCS_FOLDER = "swagger-ui";

/** Where swagger-ui-dist is installed, else the bundle's copy of its assets; undefined where neither is. */
function swaggerUiDir(): string | undefined {
  return assetsDir("swagger-ui-dist", ".", { folder: BUNDLED_DOCS_FOLDER, marker: ASSETS["swagger-ui.css"].file });
}

export function docsRoutes() {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  async function asset(name: keyof typeof ASSETS): Promise<Uint8Array<ArrayBuffer>> {
    const cached = cache.get(name);
    if (cached) return cached;
    const dir = swaggerUiDir();
    if (dir === undefined)
      throw new ApiError("not-available", "the API reference page's assets (the swagger-ui-dist package) are not installed here; GET /openapi.json serves the document", {
        package: "swagger-ui-dist",
      });
    const bytes = new Uint8Array(await readFile(path.join(dir, ASSETS[name].file)));
    cache.set(name, bytes);
    return bytes;
  }
  return new Hono<AppEnv>()
    .get(DOCS_PATH, (c) => c.html(PAGE, 200, { "Content-Security-Policy": DOCS_CSP }))
    .get(`${DOCS_PATH}/init.js`, (c) => c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": ASSET_CACHE }))
    .get(`${DOCS_PATH}/:asset{swagger-ui\\.css|swagger-ui-bundle\\.js}`, async (c) => {
      const name = c.req.param("asset") as keyof typeof ASSETS;
      return c.body(await asset(name), 200, { "Content-Type": ASSETS[name].type, "Cache-Control": ASSET_CACHE });
    });
}
