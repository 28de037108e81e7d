import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@semla/api";
import { numpy, peft, randomAdapter } from "@semla/core";
import { ensureWorldLibrary, WORLD_TINY } from "@semla/world";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type EmbeddedServer, startEmbedded } from "../embedded/start.js";
import { freePort } from "../testing/serve.js";
import { listAdapters, pushAdapters, removeAdapters } from "./adapters.js";
import { type Connection, connect } from "./connection.js";
import { runRoute, runSegment } from "./inference.js";
import { listLibraries } from "./libraries.js";

/** A free port: the filesystem store's presigned URLs must name the server's real one. */

/** The CLI's remote commands against the embedded default (PGlite, filesystem store, local inference). */
describe("semla CLI against the embedded default", () => {
  let dir: string;
  let server: EmbeddedServer;
  let connection: Connection;
  let out: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-cli-"));
    const port = await freePort();
    // The tiny world keeps the fit to a few seconds.
    server = await startEmbedded(parseConfig({ SEMLA_DATA_DIR: path.join(dir, "data"), SEMLA_PORT: String(port), SEMLA_LOG_LEVEL: "error" }), {
      seedLibrary: (input) => ensureWorldLibrary({ ...input, spec: WORLD_TINY }),
    });
    // The CLI finds the embedded server and its key from the data folder alone.
    connection = await connect({}, { SEMLA_DATA_DIR: path.join(dir, "data") });
    out = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A loradb: <domain>/{adapter_config.json, adapter_model.safetensors, <domain>_statistics.npz}. */
  async function writeLoraDb(root: string, domains: Record<string, number>, rank: (i: number) => number): Promise<void> {
    const { library, models } = server.seeded;
    const modules = models.segmenter!.loraModules;
    for (const [i, [domain, axis]] of Object.entries(domains).entries()) {
      const folder = path.join(root, domain);
      await mkdir(folder, { recursive: true });
      const files = peft.writePeftAdapter(randomAdapter({ modules, rank: rank(i), seed: 50 + i, baseModel: library.baseModelId }));
      await writeFile(path.join(folder, "adapter_config.json"), files.config);
      await writeFile(path.join(folder, "adapter_model.safetensors"), files.weights);
      const centroid = new Float32Array(library.dimension);
      centroid[axis] = 1;
      await writeFile(path.join(folder, `${domain}_statistics.npz`), numpy.writeNpz({ [numpy.SEMLA_CENTROID_KEY]: { shape: [1, library.dimension], data: centroid } }));
    }
  }

  it("imports a loradb folder (small adapters inline, large ones by presigned upload to the API), lists and removes", async () => {
    const loradb = path.join(dir, "loradb");
    await writeLoraDb(loradb, { dawn: 0, haze: 1 }, (i) => (i === 0 ? 2 : 64));
    const libraryId = server.seeded.library.id;
    expect(await pushAdapters(connection, { target: loradb, libraryId, loraDb: true, inlineLimitBytes: 50_000 })).toBe(0);
    expect(out.join("\n")).toMatch(/dawn\s+created[\s\S]*haze\s+created/);
    out.length = 0;
    await listAdapters(connection, { libraryId, name: "haze" });
    const haze = out
      .join("\n")
      .split("\n")
      .find((line) => line.includes(" haze "));
    expect(haze).toMatch(/ v1 +active +64 /);
    // Pushing the same folder again finds the same bytes.
    out.length = 0;
    expect(await pushAdapters(connection, { target: path.join(loradb, "dawn"), libraryId })).toBe(0);
    expect(out.join("\n")).toMatch(/dawn\s+existing/);
    const id = haze!.split(/\s+/)[0]!;
    await removeAdapters(connection, [id]);
    out.length = 0;
    await listAdapters(connection, { libraryId, name: "haze" });
    expect(out.join("\n")).not.toContain(id);
  });

  it("reports a bad adapter in a folder and pushes the rest (exit status 1)", async () => {
    const root = path.join(dir, "mixed");
    await writeLoraDb(root, { good: 2, bad: 3 }, () => 2);
    await writeFile(path.join(root, "bad", "adapter_model.safetensors"), "not safetensors");
    out.length = 0;
    expect(await pushAdapters(connection, { target: root, libraryId: server.seeded.library.id })).toBe(1);
    expect(out.join("\n")).toMatch(/bad\s+failed\s+.*\(safetensors\./);
    expect(out.join("\n")).toMatch(/good\s+created/);
  });

  it("segments an image into a mask PNG, a coloured mask of its size and an overlay with a legend, and routes it", async () => {
    const image = server.seeded.testImages[0]!.path;
    const mask = path.join(dir, "mask.png");
    const overlay = path.join(dir, "overlay.png");
    const maskColour = path.join(dir, "mask-color.png");
    await runSegment(connection, { imagePath: image, libraryId: server.seeded.library.id, classNames: ["road", "sky"], out: mask, overlay, maskColour, combination: "svd" });
    const [source, maskInfo, overlayInfo, colourInfo] = await Promise.all([image, mask, overlay, maskColour].map(async (f) => sharp(await readFile(f)).metadata()));
    expect([colourInfo!.width, colourInfo!.height, colourInfo!.channels]).toEqual([source!.width, source!.height, 3]);
    expect([maskInfo!.width, maskInfo!.height, maskInfo!.channels]).toEqual([source!.width, source!.height, 1]);
    // The image at its size with the legend panel (220 pixels) to its right.
    expect([overlayInfo!.width, overlayInfo!.channels]).toEqual([source!.width! + 220, 3]);
    expect(overlayInfo!.height).toBeGreaterThanOrEqual(source!.height!);
    expect(out.join("\n")).toContain("mode semla, svd");
    out.length = 0;
    await runRoute(connection, { imagePath: image, libraryId: server.seeded.library.id, k: 2 });
    expect(out.join("\n")).toMatch(/^1 +\S+ v1/m);
  });

  it("prints the API's answers as JSON with --json: route, segment (the mask's path for its PNG), libraries and adapters", async () => {
    const image = server.seeded.testImages[0]!.path;
    out.length = 0;
    const json = () => JSON.parse(out.splice(0).join("\n"));
    await runRoute(connection, { imagePath: image, libraryId: server.seeded.library.id, k: 2, json: true });
    const routed = json();
    expect(routed.plan.k).toBe(2);
    expect(routed.contributions).toHaveLength(2);
    const mask = path.join(dir, "json-mask.png");
    await runSegment(connection, { imagePath: image, libraryId: server.seeded.library.id, classNames: ["road", "sky"], out: mask, json: true });
    const segmented = json();
    expect(segmented).toMatchObject({ mode: "semla", mask, scores: [{ className: "road" }, { className: "sky" }] });
    expect(segmented.contributions.length).toBeGreaterThan(0);
    expect(segmented.width).toBeGreaterThan(0);
    await listLibraries(connection, { json: true });
    expect(json().map((l: { id: string }) => l.id)).toContain(server.seeded.library.id);
    await listAdapters(connection, { libraryId: server.seeded.library.id, json: true });
    expect(json().every((a: { status: string }) => a.status === "active")).toBe(true);
  });
});
