import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { contributionMatrix } from "./contributions.js";
import { heatmapLayout, renderHeatmapPng, viridis } from "./heatmap.js";
import { markdownTable, settingsLine, weightsJson, writeReports } from "./report.js";
import type { EvalResult } from "./runner.js";

const result: EvalResult = {
  methods: ["zeroshot", "uniform", "semla", "oracle"],
  settings: { k: 2, temperature: 0.05, metric: null, combination: "cat" },
  domains: [
    { domain: "fog", images: 2, excluded: ["fog"], oracle: "fog", miou: { zeroshot: 0.1, uniform: 0.2, semla: 0.3, oracle: 0.4 } },
    { domain: "night", images: 1, excluded: ["night"], oracle: "night", miou: { zeroshot: 0.25, uniform: 0.15, semla: 0.2, oracle: null } },
  ],
  mean: { zeroshot: 0.175, uniform: 0.175, semla: 0.25, oracle: 0.4 },
  weights: [
    { domain: "fog", image: "fog/0.png", weights: { night: 0.75, rain: 0.25 } },
    { domain: "fog", image: "fog/1.png", weights: { night: 0.25, rain: 0.75 } },
    { domain: "night", image: "night/0.png", weights: { fog: 1 } },
  ],
};

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("markdownTable", () => {
  it("gives mIoU in percent per domain and the mean, the best non-oracle method in bold, a dash where a method did not run", () => {
    expect(markdownTable(result)).toBe(
      [
        "| target | zero-shot | uniform | SemLA | oracle |",
        "|---|---:|---:|---:|---:|",
        "| fog | 10.0 | 20.0 | **30.0** | 40.0 |",
        "| night | **25.0** | 15.0 | 20.0 | – |",
        "| **mean** | 17.5 | 17.5 | **25.0** | 40.0 |",
      ].join("\n"),
    );
  });
});

describe("settingsLine", () => {
  it("names the routing settings and whether the protocol was leave-one-out", () => {
    expect(settingsLine(result)).toBe(
      "SemLA: top-k 2, temperature 0.05, metric the library's, combination cat; leave-one-out (each target's own adapter excluded from SemLA and uniform; oracle = that adapter).",
    );
    const partial = { ...result, domains: result.domains.map((d) => ({ ...d, excluded: ["x"], oracle: null })) };
    expect(settingsLine(partial)).toMatch(/; excluded from SemLA and uniform: x\.$/);
  });
});

describe("contributions", () => {
  it("average each target's per-image weights per adapter, unchosen adapters counting 0", () => {
    const m = contributionMatrix(result.weights, ["fog", "night", "rain"]);
    expect(m.rows).toEqual(["fog", "night"]);
    expect(Array.from(m.values)).toEqual([0, 0.5, 0.5, 1, 0, 0]);
    expect(weightsJson(result)).toEqual({ "fog/0.png": { night: 0.75, rain: 0.25 }, "fog/1.png": { night: 0.25, rain: 0.75 }, "night/0.png": { fog: 1 } });
  });

  it("draw as a heatmap PNG whose cells have the viridis colour of their mean weight", async () => {
    const m = contributionMatrix(result.weights, ["fog", "night", "rain"]);
    const png = await renderHeatmapPng(m, 20);
    const layout = heatmapLayout(m, 20);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([layout.width, layout.height, 3]);
    const at = (r: number, c: number) => {
      const i = ((layout.top + r * 20 + 10) * info.width + layout.left + c * 20 + 10) * 3;
      return [data[i], data[i + 1], data[i + 2]];
    };
    expect(at(0, 1)).toEqual(viridis(0.5));
    expect(at(1, 0)).toEqual(viridis(1));
    expect(at(1, 2)).toEqual(viridis(0));
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
  });
});

describe("writeReports", () => {
  it("writes the Markdown and JSON tables, weights.json and the heatmap", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "semla-report-"));
    dirs.push(dir);
    const files = await writeReports(dir, result, { seed: 7 });
    expect(await readFile(files.markdown, "utf8")).toContain("| **mean** | 17.5 | 17.5 | **25.0** | 40.0 |");
    const json = JSON.parse(await readFile(files.json, "utf8"));
    expect(json.seed).toBe(7);
    expect(json.mean).toEqual(result.mean);
    expect(JSON.parse(await readFile(files.weights, "utf8"))["night/0.png"]).toEqual({ fog: 1 });
    expect((await sharp(await readFile(files.heatmap!)).metadata()).format).toBe("png");
  });
});
