import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

/**
 * onnxruntime-node ships its native binaries for every OS and CPU (≈ 288 MB unpacked), over
 * Lambda's 250 MB limit. A function that installs it keeps only its own platform's folder, and of
 * that only the CPU runtime: Lambda has no GPU, so CUDA/TensorRT provider libraries (present when
 * the package was installed with ONNXRUNTIME_NODE_INSTALL=cuda12) are dead weight.
 */
export type LambdaArchitecture = "x86_64" | "arm64";

const ORT_ARCH: Record<LambdaArchitecture, string> = { x86_64: "x64", arm64: "arm64" };
const GPU_PROVIDER = /^libonnxruntime_providers_(cuda|tensorrt|migraphx|rocm)\b/;

/** Bytes under a path (files only, symlinks not followed). */
export async function sizeOf(target: string): Promise<number> {
  const info = await stat(target);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    total += await sizeOf(path.join(target, entry.name));
  }
  return total;
}

/**
 * Removes every other platform's binaries of onnxruntime-node under `bundleDir`
 * (node_modules/onnxruntime-node/bin/napi-v*\/<os>/<arch>) and returns the bytes removed.
 * A bundle without onnxruntime-node, or without the target's binaries, is an error: the function
 * would fail on its first request instead of at deploy.
 */
export async function pruneOnnxRuntime(bundleDir: string, architecture: LambdaArchitecture): Promise<number> {
  const binRoot = path.join(bundleDir, "node_modules", "onnxruntime-node", "bin");
  const napiDirs = await readdir(binRoot).catch(() => {
    throw new Error(`${binRoot} does not exist: onnxruntime-node was not installed into the function bundle`);
  });
  const keepArch = ORT_ARCH[architecture];
  let removed = 0;
  let kept = 0;
  const drop = async (target: string) => {
    removed += await sizeOf(target);
    await rm(target, { recursive: true, force: true });
  };
  for (const napi of napiDirs) {
    const napiDir = path.join(binRoot, napi);
    for (const os of await readdir(napiDir)) {
      if (os !== "linux") {
        await drop(path.join(napiDir, os));
        continue;
      }
      for (const arch of await readdir(path.join(napiDir, os))) {
        const archDir = path.join(napiDir, os, arch);
        if (arch !== keepArch) {
          await drop(archDir);
          continue;
        }
        for (const file of await readdir(archDir)) {
          if (GPU_PROVIDER.test(file)) await drop(path.join(archDir, file));
          else if (file.endsWith(".node")) kept += 1;
        }
      }
    }
  }
  if (kept === 0) throw new Error(`no linux/${keepArch} onnxruntime binding under ${binRoot}: the function cannot load onnxruntime-node`);
  return removed;
}
