import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { classColour, hex, PALETTE, scaleColour } from "./palette.js";
import { curlCommand, errorLine, heatmapCells, legendRows, weightBars } from "./view.js";

describe("the console's views of an answer", () => {
  it("gives each class of the answer's scores its palette colour, its pixel share and mean probability, in the mask's index order", () => {
    const rows = legendRows([
      { className: "road", pixelFraction: 0.6125, meanProbability: 0.81234 },
      { className: "sky", pixelFraction: 0.3875, meanProbability: 0.5 },
    ]);
    expect(rows).toEqual([
      { index: 0, className: "road", colour: "#e6194b", share: "61.3%", meanProbability: "0.812" },
      { index: 1, className: "sky", colour: "#3cb44b", share: "38.8%", meanProbability: "0.500" },
    ]);
    expect(classColour(PALETTE.length + 1)).toEqual(classColour(1));
  });

  it("draws the adapters' weights as percents of the mixture", () => {
    const bars = weightBars([
      { adapterId: "a", name: "fog", version: 2, rank: 1, distance: 0.12345, similarity: 8.1, weight: 0.75 },
      { adapterId: "b", name: "night", version: 1, rank: 2, distance: null, similarity: null, weight: 0.25 },
    ]);
    expect(bars).toEqual([
      { label: "fog v2", weight: 0.75, percent: 75, distance: "0.1235" },
      { label: "night v1", weight: 0.25, percent: 25, distance: "—" },
    ]);
  });

  it("writes a curl command that bash runs as the same JSON body, the key left to $SEMLA_API_KEY, quotes in class names kept", () => {
    const command = curlCommand("http://127.0.0.1:8080", { libraryId: "lib-1", classNames: ["road", "driver's side"], options: { mode: "semla", k: 3 } }, "my image.png");
    expect(command).not.toContain("semla_");
    // bash expands it with a stand-in for base64 and curl: the body it would send is the JSON itself.
    const script = `base64() { printf QUJD; }; curl() { while [ "$1" != -d ]; do shift; done; printf %s "$2"; }; ${command}`;
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    expect(JSON.parse(run.stdout)).toEqual({ libraryId: "lib-1", classNames: ["road", "driver's side"], options: { mode: "semla", k: 3 }, image: "QUJD" });
  });

  it("colours the heatmap on viridis from 0 to 1, a row per measure, the values on hover", () => {
    expect([0, 0.5, 1, 2, -1].map((v) => hex(scaleColour(v)))).toEqual(["#440154", "#21918c", "#fde725", "#fde725", "#440154"]);
    const cells = heatmapCells({
      libraryId: "l",
      requests: 4,
      adapters: [{ adapterId: "a", name: "fog", version: 1, uses: 2, totalWeight: 1, meanWeight: 0.5, maxWeight: 0.75, topRank: 1, lastUsedAt: "2026-01-01T00:00:00Z" }],
    });
    expect(cells.map((row) => row.map((c) => [c.row, c.value, c.title]))).toEqual([
      [["mean weight", 0.5, "fog v1, mean weight: 0.500"]],
      [["max weight", 0.75, "fog v1, max weight: 0.750"]],
      [["used in", 0.5, "fog v1, used in: 0.500"]],
      [["nearest in", 0.25, "fog v1, nearest in: 0.250"]],
    ]);
  });

  it("shows the API's error as its message and code, and a bare status otherwise", () => {
    expect(errorLine({ error: { code: "api.unauthorized", message: "invalid API key", details: {} } }, 401)).toBe("invalid API key (api.unauthorized)");
    expect(errorLine(undefined, 502)).toBe("HTTP 502");
  });
});
