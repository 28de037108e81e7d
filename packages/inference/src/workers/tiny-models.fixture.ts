import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureModelFiles, type ModelFiles } from "@semla/models";

/** The tiny preset's three models generated into a fresh temporary folder (tests never download models). */
export async function tinyModelFiles(): Promise<ModelFiles & { remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "semla-tiny-models-"));
  const files = await ensureModelFiles(dir, "tiny");
  return { ...files, remove: () => rm(dir, { recursive: true, force: true }) };
}
