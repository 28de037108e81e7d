import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED_CONSOLE_FOLDER, BUNDLED_DOCS_FOLDER, copyConsoleBuild, copyDocsAssets, DOCS_ASSETS, ROOT } from "./bundle";

/**
 * The API's Lambda bundle has no node_modules of swagger-ui-dist: GET /docs serves the copies the
 * build puts beside the handler. Checked on an esbuild bundle of the docs route in a folder with
 * no node_modules above it, as the function runs.
 */
describe("what the API bundle serves besides its code: /docs assets and the web console", () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("are copied beside the handler, and the bundled route serves them byte for byte", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-docs-bundle-"));
    await build({
      entryPoints: [path.join(ROOT, "functions/api/src/routes/docs.ts")],
      outfile: path.join(dir, "docs.mjs"),
      bundle: true,
      format: "esm",
      platform: "node",
      logLevel: "silent",
    });
    const written = await copyDocsAssets(dir);
    expect(written.map((f) => path.relative(dir, f))).toEqual(DOCS_ASSETS.map((f) => path.join(BUNDLED_DOCS_FOLDER, f)));
    const { docsRoutes } = (await import(pathToFileURL(path.join(dir, "docs.mjs")).href)) as typeof import("../functions/api/src/routes/docs.js");
    const installed = path.dirname(createRequire(path.join(ROOT, "functions/api/package.json")).resolve("swagger-ui-dist/package.json"));
    for (const file of DOCS_ASSETS) {
      const response = await docsRoutes().request(`/docs/${file}`);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(path.join(installed, file)))).toBe(true);
    }
  }, 60_000);

  it("the console's build is copied beside the handler, and the bundled route serves its page and assets", async () => {
    await build({
      entryPoints: [path.join(ROOT, "functions/api/src/routes/console.ts")],
      outfile: path.join(dir, "console.mjs"),
      bundle: true,
      format: "esm",
      platform: "node",
      logLevel: "silent",
    });
    const copied = await copyConsoleBuild(dir);
    expect(path.relative(dir, copied)).toBe(BUNDLED_CONSOLE_FOLDER);
    const { consoleRoutes } = (await import(pathToFileURL(path.join(dir, "console.mjs")).href)) as typeof import("../functions/api/src/routes/console.js");
    const page = await consoleRoutes().request("/console/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toBe(await readFile(path.join(copied, "index.html"), "utf8"));
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await consoleRoutes().request(`/console/${script}`);
    expect(asset.status).toBe(200);
    expect(Buffer.from(await asset.arrayBuffer()).equals(await readFile(path.join(copied, script as string)))).toBe(true);
  }, 120_000);
});
