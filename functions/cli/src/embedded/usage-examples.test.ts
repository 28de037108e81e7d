import { execFileSync } from "node:child_process";
import type { LibraryRecord } from "@semla/registry";
import { describe, expect, it } from "vitest";
import { usageExamples } from "./start.js";

const library = { id: "8e5bd461-2d96-4563-a5c6-02d582a79090", name: "world-demo-seed7" } as LibraryRecord;

/** The words bash makes of a printed command line. */
function argv(line: string): string[] {
  return execFileSync("bash", ["-c", `printf '%s\\0' ${line}`])
    .toString()
    .split("\0")
    .slice(0, -1);
}

describe("the examples npm start prints", () => {
  it("quote class names with spaces and image paths with spaces and quotes, so they run as printed", () => {
    const text = usageExamples({ url: "http://127.0.0.1:8080", apiKey: "semla_key" }, library, {
      classNames: ["sky", "snow-covered ground"],
      testImages: [{ domain: "fog", path: "/home/a b/it's/000.png" }],
    });
    const cli = text
      .split("\n")
      .find((line) => line.includes("npx semla segment"))!
      .trim();
    expect(argv(cli)).toEqual(["npx", "semla", "segment", "/home/a b/it's/000.png", "--library", library.id, "--classes", "sky,snow-covered ground", "--out", "mask.png", "--overlay", "overlay.png"]);
    const curl = text.split("\n").find((line) => line.trim().startsWith("-d "))!;
    expect(curl).toContain(`$(base64 -w0 '/home/a b/it'\\''s/000.png')`);
  });
});
