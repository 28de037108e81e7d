import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createAdapters } from "@semla/adapters";
import { createLogger, parseConfig } from "@semla/api";
import { createEndpointApp } from "@semla/endpoint";
import { type RunningServer, startEndpointServer } from "@semla/endpoint/server";
import { InferenceComponentCapacity, sageMakerFront } from "@semla/endpoint/testing";
import { OnnxSegmenter } from "@semla/inference";
import { createFsBlobStore } from "@semla/storage";
import { ensureWorldLibrary, WORLD_TINY } from "@semla/world";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedServer, startEmbedded } from "../embedded/start.js";
import { BIN, freePort, ROOT } from "../testing/serve.js";

const run = promisify(execFile);

const PROGRESS = /^waiting for the GPU to scale from zero: \d+ s of (\d+) s… \(endpoint semla, inference component semla-segmenter; next try in (\d+) s\)$/;

/**
 * `semla segment` as a user runs it against an API whose GPU is scaled to zero: the API (embedded,
 * SageMaker backend) in front of the reference endpoint behind a SageMaker front that refuses the
 * inference component's first invocations as SageMaker does, then serves. The CLI waits with a
 * progress line and writes the mask, or gives up at its deadline with exit status 1.
 */
describe("semla segment while the GPU scales from zero", () => {
  let dir: string;
  let api: EmbeddedServer;
  let endpoint: RunningServer;
  let segmenter: OnnxSegmenter;
  const capacity = new InferenceComponentCapacity(0);
  const env = () => {
    const { SEMLA_URL, SEMLA_API_KEY, SEMLA_DATA_DIR, SEMLA_WAIT_SECONDS, ...rest } = process.env;
    return { ...rest, SEMLA_DATA_DIR: path.join(dir, "elsewhere") };
  };
  const segment = (args: string[], extraEnv: Record<string, string> = {}) =>
    run(process.execPath, [BIN, "segment", api.seeded.testImages[0]!.path, "--library", api.seeded.library.id, "--classes", "road,sky", "--url", api.url, "--api-key", api.apiKey, ...args], {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...env(), ...extraEnv },
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-scale-zero-"));
    const dataDir = path.join(dir, "data");
    const endpointPort = await freePort();
    // The SDK signs requests; the front takes any credentials.
    process.env.AWS_ACCESS_KEY_ID ??= "test";
    process.env.AWS_SECRET_ACCESS_KEY ??= "test";
    api = await startEmbedded(
      parseConfig({
        SEMLA_DATA_DIR: dataDir,
        SEMLA_PORT: String(await freePort()),
        SEMLA_LOG_LEVEL: "error",
        SEMLA_BACKEND: "sagemaker",
        SEMLA_SAGEMAKER_ENDPOINT: "semla",
        SEMLA_SAGEMAKER_INFERENCE_COMPONENT: "semla-segmenter",
        SEMLA_SAGEMAKER_URL: `http://127.0.0.1:${endpointPort}`,
        SEMLA_SCALE_FROM_ZERO_RETRY_AFTER_SECONDS: "1",
      }),
      // The API's request lines (a 503 is logged as an error) stay out of the test's output.
      { seedLibrary: (input) => ensureWorldLibrary({ ...input, spec: WORLD_TINY }), logger: createLogger("error", () => {}) },
    );
    // The endpoint reads adapters where the embedded API writes them (SEMLA_DATA_DIR/blobs).
    segmenter = await OnnxSegmenter.fromPack(api.seeded.models, { executionProviders: ["cpu"], workers: 1 });
    const app = createEndpointApp({
      segmenter,
      adapters: createAdapters({ store: createFsBlobStore({ root: path.join(dataDir, "blobs") }) }),
      ready: () => true,
      logger: createLogger("error", () => {}),
    });
    endpoint = await startEndpointServer(sageMakerFront(app, { capacity }), { port: endpointPort, hostname: "127.0.0.1" });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await endpoint?.close();
    await segmenter?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("waits with a progress line per Retry-After, then writes the mask once a copy is back", async () => {
    capacity.scaleToZero(2);
    const refused = capacity.refused;
    const out = path.join(dir, "mask.png");
    const { stdout, stderr } = await segment(["--wait", "30", "--out", out]);
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines.slice(0, 2)) expect(line.match(PROGRESS)?.slice(1)).toEqual(["30", "1"]);
    expect(lines[2]).toMatch(/^the GPU is up \(after \d+ s\)$/);
    expect(capacity.refused - refused).toBe(2);
    expect(new Set(capacity.named)).toEqual(new Set(["semla-segmenter"]));
    expect(stdout).toMatch(/^mode semla/m);
    const [source, mask] = await Promise.all([api.seeded.testImages[0]!.path, out].map(async (f) => sharp(await readFile(f)).metadata()));
    expect([mask!.width, mask!.height]).toEqual([source!.width, source!.height]);
  });

  it(`gives up at SEMLA_WAIT_SECONDS with exit status 1 and says what to do`, async () => {
    capacity.scaleToZero(1000);
    const refused = capacity.refused;
    const failure = await segment(["--out", path.join(dir, "never.png")], { SEMLA_WAIT_SECONDS: "2" }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    const lines = (failure as { stderr: string }).stderr.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(
      "semla: the GPU did not scale from zero within 2 s (endpoint semla, inference component semla-segmenter); try again in a few minutes, or wait longer with --wait SECONDS (or SEMLA_WAIT_SECONDS) (cli.gpu-wait-expired)",
    );
    // A try at 0 s, one about 1 s later (Retry-After: 1) and the last at the deadline, each wait reported.
    const waits = lines.slice(0, -1);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    for (const line of waits) expect(line).toMatch(PROGRESS);
    expect(capacity.refused - refused).toBe(waits.length + 1);
  });

  it("with --wait 0 does not wait: the API's 503 is the error, after one request", async () => {
    capacity.scaleToZero(1);
    const refused = capacity.refused;
    const failure = await segment(["--wait", "0", "--out", path.join(dir, "never.png")]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(
      /^semla: endpoint semla \(inference component semla-segmenter\) has no GPU capacity: it is scaling from zero, which takes minutes; retry in 1 s \(SageMaker: Inference Component has no capacity to process this request\..*\) \(backend\.scaling-from-zero\)\n$/,
    );
    expect(capacity.refused - refused).toBe(1);
  });
});
