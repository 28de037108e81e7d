import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isServiceTest } from "./projects.js";

/**
 * The rule of test/projects.ts, checked on every test file: a file is named as a services test
 * exactly when it reads a service's address with inject(), so `npm run test:unit` never meets a
 * test that needs PostgreSQL or s3rver, and the services project holds nothing that does not.
 */
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const INJECTS_A_SERVICE = /\binject\(\s*["'](?:postgresUrl|s3Endpoint)["']\s*\)/;

/** Test files under the folders vitest.config.ts includes, relative to the repository root. */
function testFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const file = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith(".test.ts")) files.push(file);
    }
  };
  for (const dir of ["packages", "functions", "infra", "test"]) walk(dir);
  return files.sort();
}

describe("the unit and services projects", () => {
  const files = testFiles();

  it("finds the test files", () => {
    expect(files).toContain("test/projects.test.ts");
    expect(files.length).toBeGreaterThan(100);
  });

  it("name a test as a services test exactly when it injects a service's address", () => {
    const misnamed = files.filter((file) => isServiceTest(file) !== INJECTS_A_SERVICE.test(readFileSync(path.join(ROOT, file), "utf8")));
    expect(misnamed).toEqual([]);
  });
});
