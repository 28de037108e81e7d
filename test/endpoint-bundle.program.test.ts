import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadSegmenter } from "@semla/endpoint";
import { gradientPng } from "@semla/endpoint/testing";
import { decodeInferenceResponse, encodeInvocation, INVOCATION_CONTENT_TYPE } from "@semla/inference";
import { ensureGeneratedPack } from "@semla/models";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BundledFile, bundleNode, ENDPOINT_ENTRIES, ROOT } from "../infra/bundle.js";

/**
 * The endpoint image runs the bundle, not the sources: built the way the Dockerfile builds it,
 * started as the container starts it (`serve`), and answering as the sources do.
 */
const image = gradientPng(40, 30);
const classNames = ["sky", "road", "tree"];
// Inside the repository, so the bundle finds node_modules' native packages as the image does its own.
mkdirSync(path.join(ROOT, ".cache"), { recursive: true });
const outdir = mkdtempSync(path.join(ROOT, ".cache", "bundle-test-"));
const models = mkdtempSync(path.join(tmpdir(), "semla-bundle-models-"));
let files: BundledFile[];
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  files = await bundleNode(ENDPOINT_ENTRIES, outdir);
  await ensureGeneratedPack(models, "tiny");
  child = spawn(process.execPath, [path.join(outdir, "main.js"), "serve", "--port", "0", "--host", "127.0.0.1", "--preset", "tiny", "--device", "cpu", "--models-cache", models], {
    env: { ...process.env, SM_MODEL_DIR: path.join(models, "absent") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      // JSON lines on stdout: {"msg":"listening","host":"127.0.0.1","port":…}.
      const port = /"msg":"listening","host":"127\.0\.0\.1","port":(\d+)/.exec(log)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("exit", (code) => reject(new Error(`the bundled endpoint exited (${code}): ${log}`)));
  });
  // 503 while the models load in the workers, then 200.
  for (let status = 0; status !== 200; ) {
    status = (await fetch(`${url}/ping`)).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 60_000);

afterAll(() => {
  child?.kill("SIGTERM");
  rmSync(outdir, { recursive: true, force: true });
  rmSync(models, { recursive: true, force: true });
});

describe("the endpoint bundle", () => {
  test("is one ES module for the server and one for its ONNX Runtime worker", () => {
    expect(files.map((f) => f.file)).toEqual(["main.js", "ort-worker.js"]);
    expect(JSON.parse(readFileSync(path.join(outdir, "package.json"), "utf8"))).toEqual({ type: "module", private: true });
  });

  test("serves a zero-shot invocation exactly as the segmenter does in-process", async () => {
    const response = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "content-type": INVOCATION_CONTENT_TYPE },
      body: encodeInvocation({ image, classNames, adapter: { kind: "none" } }),
    });
    expect(response.status).toBe(200);
    const remote = decodeInferenceResponse(new Uint8Array(await response.arrayBuffer()));
    const segmenter = await loadSegmenter(await ensureGeneratedPack(models, "tiny"), ["cpu"]);
    try {
      const local = await segmenter.segment({ image, classNames, adapter: null });
      expect([remote.width, remote.height]).toEqual([40, 30]);
      expect(remote.maskPng).toEqual(local.maskPng);
      expect(remote.scores).toEqual(local.scores);
    } finally {
      await segmenter.close();
    }
  });
});
