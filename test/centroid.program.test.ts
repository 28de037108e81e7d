import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { numpy } from "@semla/core";
import { ClipEmbedder } from "@semla/inference";
import { defaultModelDir, ensureGeneratedPack } from "@semla/models";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("semla centroid FOLDER (the CLIP centroid that indexes an adapter's domain)", () => {
  let dir = "";
  const images: Uint8Array[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "semla-centroid-"));
    for (let i = 0; i < 5; i++) {
      const image = await sharp({ create: { width: 60 + 7 * i, height: 40, channels: 3, background: { r: 40 * i, g: 120, b: 220 - 30 * i } } })
        .png()
        .toBuffer();
      images.push(new Uint8Array(image));
      await writeFile(join(dir, `frame-${i}.png`), image);
    }
    await writeFile(join(dir, "README.txt"), "not an image");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes the mean of the images' embeddings as a (1, D) .npy, skipping what is not an image", async () => {
    const out = join(dir, "centroid.npy");
    const { stderr } = await run(process.execPath, ["functions/cli/bin/semla.js", "centroid", dir, "--preset", "tiny", "--out", out]);
    expect(stderr).toMatch(/5 embedded, 1 skipped/);
    expect(stderr).toMatch(/skipped README.txt: .*expected JPEG, PNG or WebP/);

    const embedder = await ClipEmbedder.fromPack(await ensureGeneratedPack(defaultModelDir("tiny"), "tiny"));
    const embeddings = await embedder.embed(images);
    await embedder.close();
    const mean = embeddings[0]!.map((_, j) => embeddings.reduce((sum, e) => sum + e[j]!, 0) / embeddings.length);
    const written = numpy.readNpy(new Uint8Array(await readFile(out)));
    expect(written.shape).toEqual([1, mean.length]);
    written.data.forEach((x, j) => {
      expect(x).toBeCloseTo(mean[j]!, 6);
    });
  }, 120_000);

  it("fails clearly on a folder without images", async () => {
    const empty = await mkdtemp(join(tmpdir(), "semla-empty-"));
    await writeFile(join(empty, "notes.txt"), "hello");
    await expect(run(process.execPath, ["functions/cli/bin/semla.js", "centroid", empty, "--preset", "tiny"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/embed\.no-images|no image/i),
    });
    await rm(empty, { recursive: true, force: true });
  }, 120_000);
});
