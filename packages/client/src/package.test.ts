import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("../", import.meta.url));
const TSC = fileURLToPath(new URL("../../../node_modules/.bin/tsc", import.meta.url));

/** @semla/client as npm would publish it: its manifest, its files, its built entry, its README's example. */
describe("the @semla/client package is ready to publish", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "semla-client-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("declares what a registry needs: a public name, a licence, ESM exports with types, its files", () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: "@semla/client",
      license: "Apache-2.0",
      type: "module",
      exports: { ".": { types: "./lib/index.d.ts", default: "./lib/index.js" } },
      files: ["lib", "README.md", "LICENSE"],
    });
    expect(manifest.private).toBeUndefined();
    // Nothing private of this repository at run time: only published packages.
    expect(Object.keys(manifest.dependencies as object)).toEqual(["openapi-fetch"]);
  });

  it("`npm pack --dry-run` lists exactly the licence, README, manifest and the built lib (no sources, no tests)", () => {
    const run = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACKAGE, encoding: "utf8", timeout: 60_000, env: { ...process.env, npm_config_offline: "true" } });
    expect(run.status).toBe(0);
    const [pack] = JSON.parse(run.stdout) as { name: string; files: { path: string }[] }[];
    expect(pack?.name).toBe("@semla/client");
    expect(pack?.files.map((f) => f.path).sort()).toEqual([
      "LICENSE",
      "README.md",
      "lib/index.d.ts",
      "lib/index.js",
      "lib/openapi.d.ts",
      "lib/openapi.js",
      "lib/wait-for-capacity.d.ts",
      "lib/wait-for-capacity.js",
      "lib/webhook.d.ts",
      "lib/webhook.js",
      "package.json",
    ]);
  });

  it("lib/ is the build of src/ as it is now (`npm run client` rebuilds it)", () => {
    const out = path.join(dir, "lib");
    const run = spawnSync(TSC, ["-p", path.join(PACKAGE, "tsconfig.build.json"), "--outDir", out], { encoding: "utf8", timeout: 120_000 });
    expect(run.stdout + run.stderr).toBe("");
    const files = readdirSync(out).sort();
    expect(readdirSync(path.join(PACKAGE, "lib")).sort()).toEqual(files);
    for (const file of files) expect([file, readFileSync(path.join(PACKAGE, "lib", file), "utf8")]).toEqual([file, readFileSync(path.join(out, file), "utf8")]);
  });

  it("the README's example compiles, strict, against the package as installed (its lib entry)", () => {
    const readme = readFileSync(path.join(PACKAGE, "README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('from "@semla/client"');
    const project = path.join(dir, "consumer");
    mkdirSync(path.join(project, "node_modules/@semla"), { recursive: true });
    symlinkSync(PACKAGE, path.join(project, "node_modules/@semla/client"));
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(path.join(project, "example.ts"), `declare const imageBase64: string;\n${example}\nexport {};\n`);
    const run = spawnSync(
      TSC,
      [
        "--noEmit",
        "--skipLibCheck",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--lib",
        "es2023,dom",
        "--types",
        "node",
        "--typeRoots",
        path.join(PACKAGE, "../../node_modules/@types"),
        "example.ts",
      ],
      {
        cwd: project,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: "" });
  });
});
