import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import SwaggerParser from "@apidevtools/swagger-parser";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { startStubApp } from "./testing/stub-app.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = path.join(ROOT, "node_modules/.bin");

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
}
interface Document {
  servers?: { url: string }[];
  info: { license?: { name: string } };
  security?: unknown;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, string>>; schemas: Record<string, unknown> };
}

/** [method path, operation] of every operation in the document. */
const operationsOf = (document: Document) => Object.entries(document.paths).flatMap(([route, item]) => Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${route}`, op] as const));

/** The README's block of typed requests (the fenced block after its marker comment). */
function readmeRequests(): string {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const match = /<!-- openapi-typescript requests -->\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error("README.md has no openapi-typescript requests block");
  return match[1];
}

/** tsc, strict, over `files` in `dir`: its exit status and what it printed. */
function tsc(dir: string, files: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync(path.join(BIN, "tsc"), ["--noEmit", "--strict", "--skipLibCheck", "false", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", ...files], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The OpenAPI document as the running server serves it, checked by the ecosystem's own tools. */
describe("GET /openapi.json passes the ecosystem's checks", () => {
  let server: RunningServer;
  let document: Document;
  let dir: string;
  beforeAll(async () => {
    server = await startStubApp();
    document = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
    dir = mkdtempSync(path.join(tmpdir(), "semla-openapi-"));
    writeFileSync(path.join(dir, "openapi.json"), JSON.stringify(document));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is clean under Redocly's recommended ruleset: zero errors, zero warnings (run offline, no telemetry or update check)", () => {
    const run = spawnSync(path.join(BIN, "redocly"), ["lint", "openapi.json", "--format=json"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", REDOCLY_SUPPRESS_NOTIFICATIONS: "true", NO_COLOR: "1" },
    });
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect({ totals: report.totals, problems: report.problems.map((p) => `${p.ruleId}: ${p.message}`) }).toEqual({ totals: { errors: 0, warnings: 0, ignored: 0 }, problems: [] });
    expect(run.status).toBe(0);
  });

  it("Redocly's lint fails a document missing what the rules ask (the check can fail)", () => {
    const { servers: _, ...withoutServers } = document;
    writeFileSync(path.join(dir, "broken.json"), JSON.stringify(withoutServers));
    const run = spawnSync(path.join(BIN, "redocly"), ["lint", "broken.json", "--format=json"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    });
    const report = JSON.parse(run.stdout) as { totals: { errors: number }; problems: { ruleId: string }[] };
    expect([run.status, report.totals.errors, report.problems.map((p) => p.ruleId)]).toEqual([1, 1, ["no-empty-servers"]]);
  });

  it("is valid under @apidevtools/swagger-parser", async () => {
    const validated = (await SwaggerParser.validate(structuredClone(document) as never)) as unknown as Document;
    expect(validated.info).toEqual(document.info);
  });

  it("names an operationId and a summary for every operation, the ids unique", () => {
    const operations = operationsOf(document);
    expect(operations.filter(([, op]) => !op.operationId || !op.summary).map(([at]) => at)).toEqual([]);
    expect(new Set(operations.map(([, op]) => op.operationId)).size).toBe(operations.length);
  });

  it("describes both ways of passing a key, and every route takes either (the admin token, or none: /healthz and the presigned PUT)", () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: "apiKey", in: "header", name: "x-api-key" });
    const byKind: Record<string, string[]> = {};
    for (const [at, op] of operationsOf(document)) {
      const kind = JSON.stringify(op.security) ?? "none";
      byKind[kind] = [...(byKind[kind] ?? []), at];
    }
    expect(byKind["[]"]).toEqual(["GET /healthz", "GET /readyz", "PUT /v1/blobs/upload"]);
    expect(byKind['[{"admin":[]}]']).toEqual(["POST /v1/admin/keys", "GET /v1/admin/keys", "DELETE /v1/admin/keys/{id}", "POST /v1/admin/sweep"]);
    expect(Object.keys(byKind).sort()).toEqual(["[]", '[{"admin":[]}]', '[{"bearer":[]},{"apiKey":[]}]']);
  });

  it("documents 429, 500 and 503 (with Retry-After) on every operation, 502 and 504 where the inference backend is called", () => {
    for (const [at, op] of operationsOf(document)) {
      expect([at, Object.keys(op.responses).filter((status) => ["429", "500", "503"].includes(status))]).toEqual([at, ["429", "500", "503"]]);
      expect([at, Object.keys(op.responses["503"]?.headers ?? {})]).toEqual([at, ["Retry-After"]]);
    }
    const backend = operationsOf(document)
      .filter(([, op]) => op.responses["502"] && op.responses["504"])
      .map(([at]) => at);
    expect(backend).toEqual(["POST /v1/adapters", "POST /v1/embed", "POST /v1/route", "POST /v1/segment", "POST /v1/fuse"]);
  });

  it("describes the presigned PUT /v1/blobs/upload: its signed query, a binary body, no key", () => {
    const put = document.paths["/v1/blobs/upload"]?.put as Operation & { parameters: { name: string; required?: boolean }[]; requestBody: { content: Record<string, unknown> } };
    expect(put.parameters.map((p) => `${p.name}${p.required ? "" : "?"}`)).toEqual(["key", "expires", "content-length?", "content-type?", "signature"]);
    expect(put.requestBody.content).toEqual({ "application/octet-stream": { schema: { type: "string", format: "binary" } } });
  });

  it("says embed's image_embeds are L2-normalised", () => {
    const embed = document.paths["/v1/embed"]?.post as Operation & { responses: { 200: { description: string } } };
    expect(embed.responses[200].description).toMatch(/^The image's CLIP embedding: the image encoder's image_embeds, L2-normalised/);
  });

  it("types generated by openapi-typescript with its default flags compile the README's requests; a request missing a required field does not", async () => {
    writeFileSync(path.join(dir, "semla-api.d.ts"), astToString(await openapiTS(structuredClone(document) as never)));
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(path.join(dir, "readme.ts"), readmeRequests());
    writeFileSync(
      path.join(dir, "wrong.ts"),
      `${readmeRequests()}\nexport const missing = { libraryId, image } satisfies Json<"/v1/segment">;\nexport const badMode = { libraryId, image, classNames: ["a"], options: { mode: "best" } } satisfies Json<"/v1/segment">;\n`,
    );
    // One compiler run over both: the README's block compiles, the two wrong requests do not.
    const run = tsc(dir, ["readme.ts", "wrong.ts"]);
    const errors = run.output.split("\n").filter((line) => line.includes("error TS"));
    expect([run.status, errors.map((line) => `${line.slice(0, line.indexOf("("))} ${/error (TS\d+)/.exec(line)?.[1]}`)]).toEqual([2, ["wrong.ts TS1360", "wrong.ts TS2322"]]);
  });
});
