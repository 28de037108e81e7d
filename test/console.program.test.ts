import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SERVER_FILE, type ServerFile } from "@semla/api";
import { embeddedEnv, ROOT, type ServingProcess, startServe } from "@semla/cli/testing";
import type { components } from "@semla/client";
import { PALETTE } from "@semla/console/palette";
import { ensureConsoleBuilt } from "@semla/console/testing";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Debian's Chromium (scripts/services/install-chromium.sh): Playwright's own browser download needs a host this machine cannot reach. */
const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of each page, kept as test artifacts (gitignored). */
const ARTIFACTS = path.join(ROOT, "test-artifacts", "console");

type SegmentResult = components["schemas"]["SegmentResult"];
/** What the test reads of a canvas in the page (this file is type-checked without the DOM's types). */
type Canvas = { width: number; height: number; getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };

/**
 * The console in a real browser (one launch for every test here) against `semla serve` on loopback
 * with the tiny world's demo library: each page is driven as a user would, and what it shows is
 * checked against the API's own answers to the same requests.
 */
describe("the web console in Chromium", () => {
  let dir: string;
  let serving: ServingProcess | undefined;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  let key: string;
  let libraryId: string;
  let testImage: string;
  let classNames: string[];
  /** Every request the browser made that was not to the API on loopback (none may be). */
  const elsewhere: string[] = [];
  /** What the page logged as errors (a Content-Security-Policy violation is one). */
  const consoleErrors: string[] = [];
  const api = async <T>(route: string, init: RequestInit = {}, withKey = key): Promise<{ status: number; body: T }> => {
    const reply = await fetch(`${url}${route}`, {
      ...init,
      headers: { authorization: `Bearer ${withKey}`, ...(init.body instanceof FormData ? {} : { "content-type": "application/json" }), ...init.headers },
    });
    return { status: reply.status, body: (await reply.json()) as T };
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await ensureConsoleBuilt();
    dir = await mkdtemp(path.join(tmpdir(), "semla-console-"));
    const dataDir = path.join(dir, "data");
    serving = await startServe([], embeddedEnv(dataDir, { SEMLA_WORLD: "tiny" }));
    const server = JSON.parse(await readFile(path.join(dataDir, SERVER_FILE), "utf8")) as ServerFile;
    [url, libraryId] = [server.url, server.libraryId];
    key = (await readFile(path.join(dataDir, "api-key"), "utf8")).trim();
    const images = (await readdir(dataDir, { recursive: true })).filter((f) => /test\/[^/]+\/images\/000\.png$/.test(f)).sort();
    testImage = path.join(dataDir, images[0]!);
    classNames = (await readFile(path.join(path.dirname(path.dirname(testImage)), "classes.txt"), "utf8")).split("\n").filter((c) => c.length > 0);
    await mkdir(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      viewport: { width: 1000, height: 720 },
    });
    await context.route("**/*", (route) => {
      if (route.request().url().startsWith(`${url}/`)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => void (message.type() === "error" && consoleErrors.push(message.text())));
    page.on("pageerror", (error) => void consoleErrors.push(String(error)));
  }, 240_000);
  afterAll(async () => {
    await context?.close();
    await serving?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refuses a wrong key with the API's own error, and keeps nothing of it", async () => {
    await page.goto(`${url}/console/`);
    await page.fill("#api-key", "semla_not-a-key");
    await page.click("button[type=submit]");
    const refused = await api<{ error: { code: string; message: string } }>("/v1/libraries", {}, "semla_not-a-key");
    expect(refused.status).toBe(401);
    await expect.poll(() => page.textContent("#sign-in-error")).toBe(`${refused.body.error.message} (${refused.body.error.code})`);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await shot("sign-in");
  });

  it("signs in with the key (kept in sessionStorage, never in the URL) and lists the library's adapters as the API does", async () => {
    await page.fill("#api-key", key);
    await page.click("button[type=submit]");
    await page.waitForSelector("#adapters tbody tr");
    expect(await page.evaluate('sessionStorage.getItem("semla.apiKey")')).toBe(key);
    expect(page.url()).not.toContain(key);
    const listed = await api<components["schemas"]["AdapterPage"]>(`/v1/adapters?libraryId=${libraryId}&limit=500`);
    const rows = await page.$$eval("#adapters tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent)));
    expect(rows).toEqual(listed.body.items.map((a) => [a.name, String(a.version), a.status, String(a.rank)]));
    const library = await api<components["schemas"]["Library"]>(`/v1/libraries/${libraryId}`);
    expect(await page.textContent("#library-details dl")).toContain(`Coverage policy${library.body.coveragePolicy}`);
    await shot("libraries");
  });

  it("segments a demo test image: the legend is the answer's classes and shares, the overlay's colours cover those shares, the weight bars sum to 100%", async () => {
    await page.click("nav a[href='#try']");
    // A dropped or chosen file, then the demo library's first test image instead.
    await page.setInputFiles("#image", testImage);
    expect(await page.textContent("#image-name")).toBe("000.png");
    const demos = (await (await fetch(`${url}/console/demo.json`)).json()) as { label: string; url: string }[];
    expect(demos.length).toBeGreaterThan(1);
    await page.selectOption("#demo", demos[0]!.url);
    await expect.poll(() => page.textContent("#image-name")).toBe(demos[0]!.label.replace("/", "-"));
    await page.fill("#classes", classNames.join(", "));
    await page.selectOption("#mode", "semla");
    await page.fill("#k", "3");
    await page.click("#segment");
    await page.waitForSelector("#legend tbody tr");
    const image = Buffer.from(await (await fetch(`${url}/console/${demos[0]!.url}`)).arrayBuffer()).toString("base64");
    const direct = await api<SegmentResult>("/v1/segment", { method: "POST", body: JSON.stringify({ libraryId, image, classNames, options: { mode: "semla", k: 3, temperature: 0.05 } }) });
    expect(direct.status).toBe(200);
    const legend = await page.$$eval("#legend tbody tr", (trs) => trs.map((tr) => [tr.querySelector(".class")!.textContent, tr.querySelector(".share")!.textContent]));
    expect(legend).toEqual(direct.body.scores.map((s) => [s.className, `${(s.pixelFraction * 100).toFixed(1)}%`]));
    // The overlay's pixels, counted by palette colour: each class's share of the mask, exactly.
    const counts = await page.$eval("#overlay", (canvas) => {
      const c = canvas as unknown as Canvas;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const byColour: Record<string, number> = {};
      for (let p = 0; p < data.length; p += 4) byColour[`${data[p]},${data[p + 1]},${data[p + 2]}`] = (byColour[`${data[p]},${data[p + 1]},${data[p + 2]}`] ?? 0) + 1;
      return { byColour, pixels: c.width * c.height };
    });
    expect(counts.pixels).toBe(direct.body.width * direct.body.height);
    for (const [i, score] of direct.body.scores.entries()) expect((counts.byColour[PALETTE[i]!.join(",")] ?? 0) / counts.pixels).toBeCloseTo(score.pixelFraction, 9);
    const percents = await page.$$eval("#weights li", (lis) => lis.map((li) => Number(li.getAttribute("data-percent"))));
    expect(percents).toHaveLength(direct.body.contributions.length);
    expect(percents.length).toBeGreaterThan(0);
    expect(percents.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 9);
    expect(await page.$$eval("#weights .label", (els) => els.map((e) => e.textContent))).toEqual(direct.body.contributions.map((c) => `${c.name} v${c.version}`));
    expect(await page.textContent("#coverage")).toContain(`Coverage: ${direct.body.coverage!.status}`);
    expect(await page.textContent("#curl")).toContain(`"libraryId":"${libraryId}"`);
    expect(await page.textContent("#curl")).not.toContain(key);
    await page.fill("#opacity", "80");
    expect(await page.$eval("#overlay", (c) => (c as unknown as { style: { opacity: string } }).style.opacity)).toBe("0.8");
    await shot("try-it");
  });

  it("shows the contributions heatmap of GET /v1/stats/contributions, a value on each cell's hover, with its colour bar", async () => {
    await page.click("nav a[href='#contributions']");
    await page.waitForSelector("#heatmap td.cell");
    const stats = await api<components["schemas"]["ContributionStats"]>(`/v1/stats/contributions?libraryId=${libraryId}`);
    const means = await page.$$eval("#heatmap tbody tr:first-child td.cell", (tds) => tds.map((td) => td.getAttribute("title")));
    expect(means).toEqual(stats.body.adapters.map((a) => `${a.name} v${a.version}, mean weight: ${a.meanWeight.toFixed(3)}`));
    expect(stats.body.requests).toBeGreaterThan(0);
    expect(await page.isVisible("#colour-bar")).toBe(true);
    await page.hover("#heatmap td.cell");
    await shot("contributions");
  });

  it("uploads an adapter (config, weights, centroid), and shows the service's validation error for a broken config", async () => {
    const [source] = (await api<components["schemas"]["AdapterPage"]>(`/v1/adapters?libraryId=${libraryId}&limit=1`)).body.items;
    const files: Record<string, string> = {};
    for (const [file, name] of [
      ["config", "adapter_config.json"],
      ["weights", "adapter_model.safetensors"],
      ["centroid", "centroid.npy"],
    ] as const) {
      const reply = await fetch(`${url}/v1/adapters/${source!.id}/files?file=${file}`, { headers: { authorization: `Bearer ${key}` } });
      files[file] = path.join(dir, name);
      await writeFile(files[file], new Uint8Array(await reply.arrayBuffer()));
    }
    await page.click("nav a[href='#upload']");
    await page.fill("#adapter-name", "from-the-console");
    await page.setInputFiles("#config", files.config!);
    await page.setInputFiles("#weights", files.weights!);
    await page.setInputFiles("#centroid", files.centroid!);
    await page.click("#upload");
    await expect.poll(() => page.textContent("#upload-outcome")).toMatch(/^Registered: from-the-console v1 \([0-9a-f-]+\), active\.$/);
    const listed = await api<components["schemas"]["AdapterPage"]>(`/v1/adapters?libraryId=${libraryId}&name=from-the-console`);
    expect(listed.body.items.map((a) => [a.name, a.sha256])).toEqual([["from-the-console", source!.sha256]]);
    await shot("upload");

    const broken = path.join(dir, "broken_config.json");
    await writeFile(broken, '{"r": "four"}');
    await page.fill("#adapter-name", "broken");
    await page.setInputFiles("#config", broken);
    await page.click("#upload");
    const form = new FormData();
    form.set("libraryId", libraryId);
    form.set("name", "broken");
    form.set("config", '{"r": "four"}');
    form.set("weights", new Blob([await readFile(files.weights!)]), "adapter_model.safetensors");
    form.set("centroid", new Blob([await readFile(files.centroid!)]), "centroid.npy");
    const refused = await api<{ error: { code: string; message: string } }>("/v1/adapters", { method: "POST", body: form });
    expect(refused.status).toBe(400);
    await expect.poll(() => page.textContent("#upload-outcome [role=alert]")).toBe(`${refused.body.error.message} (${refused.body.error.code})`);
    await shot("upload-refused");
  });

  it("made no request off the API's origin and logged no error (a Content-Security-Policy violation would be one) other than the refused key's 401", () => {
    expect(elsewhere).toEqual([]);
    expect(consoleErrors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
  });
});
