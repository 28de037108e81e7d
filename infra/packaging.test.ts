import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { pruneOnnxRuntime } from "./packaging";

/** onnxruntime-node's bin/ layout, one file per folder with a known size. */
function fakeBundle(files: Record<string, number>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "semla-bundle-"));
  for (const [file, bytes] of Object.entries(files)) {
    const full = path.join(dir, "node_modules/onnxruntime-node/bin/napi-v6", file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, Buffer.alloc(bytes));
  }
  return dir;
}

function remaining(dir: string): string[] {
  const root = path.join(dir, "node_modules/onnxruntime-node/bin/napi-v6");
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

const LAYOUT = {
  "darwin/arm64/libonnxruntime.1.dylib": 400,
  "darwin/arm64/onnxruntime_binding.node": 30,
  "linux/arm64/libonnxruntime.so.1": 250,
  "linux/arm64/onnxruntime_binding.node": 40,
  "linux/x64/libonnxruntime.so.1": 450,
  "linux/x64/libonnxruntime_providers_shared.so": 5,
  "linux/x64/libonnxruntime_providers_cuda.so": 3000,
  "linux/x64/libonnxruntime_providers_tensorrt.so": 700,
  "linux/x64/onnxruntime_binding.node": 39,
  "win32/x64/onnxruntime.dll": 280,
  "win32/x64/DirectML.dll": 180,
};

describe("onnxruntime-node pruned to the Lambda platform", () => {
  test("x86_64 keeps linux/x64's CPU runtime only and reports the bytes removed", async () => {
    const dir = fakeBundle(LAYOUT);
    expect(await pruneOnnxRuntime(dir, "x86_64")).toBe(400 + 30 + 250 + 40 + 3000 + 700 + 280 + 180);
    expect(remaining(dir)).toEqual(["linux/x64/libonnxruntime.so.1", "linux/x64/libonnxruntime_providers_shared.so", "linux/x64/onnxruntime_binding.node"]);
  });

  test("arm64 keeps linux/arm64", async () => {
    const dir = fakeBundle(LAYOUT);
    expect(await pruneOnnxRuntime(dir, "arm64")).toBe(400 + 30 + 450 + 5 + 3000 + 700 + 39 + 280 + 180);
    expect(remaining(dir)).toEqual(["linux/arm64/libonnxruntime.so.1", "linux/arm64/onnxruntime_binding.node"]);
  });

  test("pruning twice removes nothing more", async () => {
    const dir = fakeBundle(LAYOUT);
    await pruneOnnxRuntime(dir, "x86_64");
    expect(await pruneOnnxRuntime(dir, "x86_64")).toBe(0);
  });

  test("a bundle without onnxruntime-node fails the build, not the first request", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "semla-bundle-"));
    await expect(pruneOnnxRuntime(dir, "x86_64")).rejects.toThrow(`${path.join(dir, "node_modules/onnxruntime-node/bin")} does not exist: onnxruntime-node was not installed into the function bundle`);
  });

  test("a bundle without the target's binding fails the build", async () => {
    const dir = fakeBundle({ "darwin/arm64/onnxruntime_binding.node": 30, "linux/arm64/onnxruntime_binding.node": 40 });
    await expect(pruneOnnxRuntime(dir, "x86_64")).rejects.toThrow(/^no linux\/x64 onnxruntime binding under .*: the function cannot load onnxruntime-node$/);
  });
});
