import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKOUT_ROOT, resolveDataDir } from "./data-dir.js";

describe("the data folder a command uses", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-data-dir-"));
    await mkdir(path.join(dir, "project", ".semla"), { recursive: true });
    await mkdir(path.join(dir, "project", "src", "deep"), { recursive: true });
    await mkdir(path.join(dir, "elsewhere"), { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is SEMLA_DATA_DIR when set, against the current directory", () => {
    expect(resolveDataDir({ SEMLA_DATA_DIR: "data" }, path.join(dir, "elsewhere"))).toBe(path.join(dir, "elsewhere", "data"));
    expect(resolveDataDir({ SEMLA_DATA_DIR: "/srv/semla" }, dir)).toBe("/srv/semla");
  });

  it("else the nearest .semla folder from the current directory up", () => {
    expect(resolveDataDir({}, path.join(dir, "project", "src", "deep"), "/checkout")).toBe(path.join(dir, "project", ".semla"));
    expect(resolveDataDir({ SEMLA_DATA_DIR: " " }, path.join(dir, "project"), "/checkout")).toBe(path.join(dir, "project", ".semla"));
  });

  it("else the checkout's, where npm start keeps it (this package's root by default)", () => {
    // (No .semla above the temporary folder.)
    expect(resolveDataDir({}, path.join(dir, "elsewhere"), "/checkout")).toBe("/checkout/.semla");
    expect(path.join(CHECKOUT_ROOT, "functions", "cli", "package.json")).toBe(path.resolve(import.meta.dirname, "..", "..", "package.json"));
  });
});
