import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureConsoleBuilt } from "@semla/console/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../server.js";
import { startStubApp } from "../testing/stub-app.js";
import { CONSOLE_CSP } from "./console.js";

describe("the web console at /console", () => {
  let server: RunningServer;
  let dist: string;
  /** Two demo images: the files are served as they are (their bytes need not be whole PNGs). */
  const demo = mkdtempSync(path.join(tmpdir(), "semla-console-demo-"));
  const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010800000000", "hex");
  writeFileSync(path.join(demo, "a.png"), PNG);
  writeFileSync(path.join(demo, "b.png"), Buffer.concat([PNG, Buffer.from([1])]));
  beforeAll(async () => {
    dist = await ensureConsoleBuilt();
    server = await startStubApp({
      demoImages: [
        { label: "fog/000.png", path: path.join(demo, "a.png") },
        { label: "night/000.png", path: path.join(demo, "b.png") },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("is Vite's page, without a key, under a policy that lets it load and call its own origin only, its assets named by relative URLs", async () => {
    const redirect = await fetch(`${server.url}/console`, { redirect: "manual" });
    expect([redirect.status, redirect.headers.get("location")]).toEqual([308, "/console/"]);
    const page = await fetch(`${server.url}/console/`);
    expect([page.status, page.headers.get("content-type"), page.headers.get("content-security-policy")]).toEqual([200, "text/html; charset=utf-8", CONSOLE_CSP]);
    const html = await page.text();
    expect(html).toBe(readFileSync(path.join(dist, "index.html"), "utf8"));
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.map((u) => u.replace(/-[A-Za-z0-9_-]{8}\./, "-HASH."))).toEqual(["./assets/index-HASH.js", "./assets/index-HASH.css"]);
    expect(html).not.toMatch(/https?:|<script>|style=/);
    for (const source of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(CONSOLE_CSP).toContain(source);
    // Every directive allows this origin or nothing: no other host, no inline code, no data: or blob: URL.
    expect(CONSOLE_CSP.split("; ").flatMap((directive) => directive.split(" ").slice(1))).toSatisfy((sources: string[]) => sources.every((s) => s === "'self'" || s === "'none'"));
  });

  it("serves every file of the build byte for byte with its type, cached for a year (the names are content hashes)", async () => {
    const files = readdirSync(path.join(dist, "assets"));
    expect(files.map((f) => path.extname(f)).sort()).toEqual([".css", ".js"]);
    for (const file of files) {
      const reply = await fetch(`${server.url}/console/assets/${file}`);
      expect([reply.status, reply.headers.get("content-type"), reply.headers.get("cache-control"), reply.headers.get("x-content-type-options")]).toEqual([
        200,
        file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
        "public, max-age=31536000, immutable",
        "nosniff",
      ]);
      expect(Buffer.from(await reply.arrayBuffer()).equals(readFileSync(path.join(dist, "assets", file)))).toBe(true);
    }
  });

  it("answers 404 api.not-found for a missing asset, and for any path out of assets/", async () => {
    const missing = await fetch(`${server.url}/console/assets/nope-12345678.js`);
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, "api.not-found"]);
    for (const route of ["/console/assets/..%2Findex.html", "/console/assets/%2E%2E%2F%2E%2E%2Fpackage.json", "/console/index.html", "/console/vite.config.ts"]) {
      expect([route, (await fetch(`${server.url}${route}`)).status]).toEqual([route, 404]);
    }
  });

  it("lists the demo images the Try it page offers and serves each as a PNG; an index past them is 404", async () => {
    const listed = await fetch(`${server.url}/console/demo.json`);
    expect([listed.status, await listed.json()]).toEqual([
      200,
      [
        { label: "fog/000.png", url: "demo/0.png" },
        { label: "night/000.png", url: "demo/1.png" },
      ],
    ]);
    const second = await fetch(`${server.url}/console/demo/1.png`);
    expect([second.status, second.headers.get("content-type")]).toEqual([200, "image/png"]);
    expect(Buffer.from(await second.arrayBuffer()).equals(readFileSync(path.join(demo, "b.png")))).toBe(true);
    expect((await fetch(`${server.url}/console/demo/2.png`)).status).toBe(404);
    expect((await fetch(`${server.url}/console/demo/-1.png`)).status).toBe(404);
  });
});
