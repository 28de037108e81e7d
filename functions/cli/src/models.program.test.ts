import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ensureGeneratedPack, type GeneratedPack } from "@semla/models";
import { catsegExportFile, torchExportFile, writeTorchExportPack } from "@semla/models/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, embeddedEnv, ROOT, type ServingProcess, startServe } from "./testing/serve.js";

const run = promisify(execFile);

/** A user with a model pack: inspect it, check it, compute a centroid with it, serve it. */
describe("semla models, and serving a model pack", () => {
  let root: string;
  let pack: GeneratedPack;
  const semla = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000 });

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "semla-models-cli-"));
    pack = await ensureGeneratedPack(path.join(root, "pack"), "tiny");
  }, 120_000);
  afterAll(() => rm(root, { recursive: true, force: true, maxRetries: 3 }));

  it("models check runs every model on a probe and says the pack is ready; inspect --json lists inputs and outputs", async () => {
    const { stdout } = await semla("models", "check", pack.dir);
    expect(stdout).toContain(`pack semla generated tiny in ${pack.dir}`);
    expect(stdout).toMatch(/ok\s+segmenter\s+probe\s+logits \[1, 2, 32, 32\]/);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("the pack is ready to serve");
    const inspected = JSON.parse((await semla("models", "inspect", pack.dir, "--json")).stdout);
    expect(inspected.manifest).toEqual(pack.manifest);
    expect(inspected.models.map((m: { role: string }) => m.role)).toEqual(["imageEncoder", "textEncoder", "segmenter"]);
    expect(inspected.models[0].outputs).toEqual([{ name: "image_embeds", type: "float32", dims: ["batch", 16] }]);
  }, 120_000);

  it("models check exits 1 naming the failed promise; a folder that is no pack is an error naming the file", async () => {
    const broken = path.join(root, "broken");
    await cp(pack.dir, broken, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(broken, "semla-models.json"), "utf8"));
    manifest.imageEncoder.dimension = 32;
    await writeFile(path.join(broken, "semla-models.json"), JSON.stringify(manifest));
    await expect(semla("models", "check", broken)).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/FAIL\s+imageEncoder\s+probe\s+image_embeds \[1, 16\] for one 32×32 image; the manifest says dimension 32[\s\S]*1 check\(s\) failed/),
    });
    await expect(semla("models", "inspect", root)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`${root} holds no readable semla-models.json`) });
    await expect(semla("models", "list", pack.dir)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^semla: unknown command 'list'\n\nUsage: semla models \[options\] \[command\]\n/),
    });
  }, 120_000);

  it("centroid --models embeds with the pack's image encoder, as --preset does with the same models", async () => {
    const images = path.join(root, "images");
    await mkdir(images);
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 40 + 9 * i, height: 30, channels: 3, background: { r: 60 * i, g: 90, b: 200 } } })
        .png()
        .toFile(path.join(images, `${i}.png`));
    }
    const withPack = JSON.parse((await semla("centroid", images, "--models", pack.dir)).stdout);
    const withPreset = JSON.parse((await semla("centroid", images, "--preset", "tiny")).stdout);
    expect(withPack).toEqual(withPreset);
    expect(withPack.count).toBe(3);
    await expect(semla("centroid", images, "--models", pack.dir, "--preset", "tiny")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^semla: option '--models <dir>' cannot be used with option '--preset <preset>'\n\nUsage: semla centroid \[options\] <folder>\n/),
    });
  }, 120_000);

  describe("serve --models", () => {
    let server: ServingProcess;
    let stdout = "";
    let url: string;
    let key: string;
    let libraryId: string;

    beforeAll(async () => {
      const dataDir = path.join(root, "data");
      server = await startServe(["--models", pack.dir], embeddedEnv(dataDir));
      stdout = server.stdout();
      url = /running at (\S+)/.exec(stdout)![1]!;
      key = (await readFile(path.join(dataDir, "api-key"), "utf8")).trim();
      libraryId = /model pack library "pack-[0-9a-f]{8}" (\S+);/.exec(stdout)![1]!;
    }, 120_000);
    afterAll(() => server.stop());

    it("serves the pack: a library indexed with its encoder, zero-shot segmentation, and examples that say so", async () => {
      expect(stdout).toContain(`npx semla adapters push ADAPTER_DIR --library ${libraryId} --images TRAINING_IMAGES_DIR`);
      expect(stdout).toContain("--mode zeroshot");
      expect(stdout).toContain(`"options":{"mode":"zeroshot"}`);
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const library = (await (await fetch(`${url}/v1/libraries/${libraryId}`, { headers })).json()) as Record<string, unknown>;
      expect(library).toMatchObject({ embeddingModelId: pack.imageEncoder.id, baseModelId: pack.segmenter!.id, dimension: 16 });
      const image = await sharp({ create: { width: 48, height: 40, channels: 3, background: { r: 10, g: 200, b: 30 } } })
        .png()
        .toBuffer();
      const segmented = await fetch(`${url}/v1/segment`, {
        method: "POST",
        headers,
        body: JSON.stringify({ libraryId, classNames: ["road", "sky"], options: { mode: "zeroshot" }, image: image.toString("base64") }),
      });
      expect(segmented.status).toBe(200);
      expect(await segmented.json()).toMatchObject({ mode: "zeroshot", width: 48, height: 40, plan: null });
    });

    it("libraries create takes what it is not told from the server's pack (GET /v1/models)", async () => {
      const created = await run(process.execPath, [BIN, "libraries", "create", "street"], { cwd: ROOT, env: { ...process.env, SEMLA_URL: url, SEMLA_API_KEY: key }, timeout: 60_000 });
      const id = created.stdout.trim();
      const headers = { authorization: `Bearer ${key}` };
      const library = (await (await fetch(`${url}/v1/libraries/${id}`, { headers })).json()) as Record<string, unknown>;
      expect(library).toMatchObject({ name: "street", embeddingModelId: pack.imageEncoder.id, baseModelId: pack.segmenter!.id, dimension: 16 });
    });

    it("refuses to route a library indexed with another encoder, naming both", async () => {
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const other = (await (
        await fetch(`${url}/v1/libraries`, {
          method: "POST",
          headers,
          body: JSON.stringify({ name: "vit-l", baseModelId: "catseg-l", embeddingModelId: "openai/clip-vit-large-patch14", dimension: 16 }),
        })
      ).json()) as { id: string };
      const routed = await fetch(`${url}/v1/route`, { method: "POST", headers, body: JSON.stringify({ libraryId: other.id, embedding: new Array(16).fill(0.25) }) });
      expect(routed.status).toBe(400);
      expect(((await routed.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "pipeline.embedding-model-mismatch",
        message: expect.stringContaining(`is indexed with openai/clip-vit-large-patch14 embeddings; this service's image encoder is ${pack.imageEncoder.id}`),
      });
    });
  });

  describe("models prepare, then serving the prepared pack", () => {
    let server: ServingProcess;
    let stdout = "";
    let url: string;
    let key: string;
    let libraryId: string;
    let prepared: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      const base = path.join(root, "torch-base");
      await writeTorchExportPack(base);
      prepared = path.join(root, "catseg-pack");
      const { stdout: printed } = await semla(
        "models",
        "prepare",
        "--segmenter",
        catsegExportFile("segmenter.onnx"),
        "--targets",
        catsegExportFile("adapter-fog"),
        "--from",
        base,
        "--out",
        prepared,
        "--id",
        "fixture/catseg-tiny",
        "--size",
        "32",
      );
      expect(printed).toContain("4 LoRA-ready modules");
      expect(printed).toMatch(/sem_seg_head\.predictor\.clip_model\.visual\.transformer\.resblocks\.0\.attn\.q_proj\s+MatMul \/sem_seg_head\/.*\/q_proj\/MatMul\s+onnx::MatMul_\d+\s+32\s+32\s+bias/);
      const dataDir = path.join(root, "prepared-data");
      env = embeddedEnv(dataDir);
      server = await startServe(["--models", prepared], env);
      stdout = server.stdout();
      url = /running at (\S+)/.exec(stdout)![1]!;
      key = (await readFile(path.join(dataDir, "api-key"), "utf8")).trim();
      libraryId = /model pack library "pack-[0-9a-f]{8}" (\S+);/.exec(stdout)![1]!;
    }, 180_000);
    afterAll(() => server.stop());

    it("takes the adapter the pack was prepared for, refuses one targeting modules the graph does not expose, and segments in every mode", async () => {
      const centroid = path.join(root, "centroid.json");
      await writeFile(centroid, JSON.stringify(new Array(16).fill(0.25)));
      const remote = { ...env, SEMLA_URL: url, SEMLA_API_KEY: key };
      const push = (adapter: string) =>
        run(process.execPath, [BIN, "adapters", "push", catsegExportFile(adapter), "--library", libraryId, "--centroid", centroid], { cwd: ROOT, env: remote, timeout: 60_000 });
      await push("adapter-fog");
      const refused = (await push("adapter-night").catch((error: { code: number; stdout: string; stderr: string }) => error)) as { code: number; stdout: string; stderr: string };
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/registry\.unknown-module/);
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const image = (await readFile(torchExportFile("image.png"))).toString("base64");
      for (const mode of ["semla", "uniform", "zeroshot", "adapter"] as const) {
        const body = { libraryId, classNames: ["road", "sky", "car"], image, options: { mode, ...(mode === "adapter" && { adapter: "adapter-fog" }) } };
        const answer = await fetch(`${url}/v1/segment`, { method: "POST", headers, body: JSON.stringify(body) });
        expect([mode, answer.status]).toEqual([mode, 200]);
        const result = (await answer.json()) as { width: number; height: number; contributions: { name: string }[] };
        expect([result.width, result.height]).toEqual([61, 47]);
        if (mode !== "zeroshot") expect(result.contributions.map((c) => c.name)).toEqual(["adapter-fog"]);
      }
    }, 120_000);
  });
});
