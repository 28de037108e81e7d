import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createLogger, parseConfig } from "@semla/api";
import { ensureWorldLibrary, WORLD_TINY } from "@semla/world";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedServer, startEmbedded } from "../embedded/start.js";
import { BIN, freePort, ROOT } from "../testing/serve.js";

const run = promisify(execFile);

/**
 * `semla jobs submit | wait | get` against the embedded default (PGlite, filesystem store, the local
 * backend): a job runs in the API's process with the local segmenter, and its masks are the ones
 * POST /v1/segment answers for the same images.
 */
describe("semla jobs, embedded", () => {
  let dir: string;
  let api: EmbeddedServer;
  const jobs = (args: string[]) => {
    const { SEMLA_URL, SEMLA_API_KEY, SEMLA_DATA_DIR, ...env } = process.env;
    return run(process.execPath, [BIN, "jobs", ...args, "--url", api.url, "--api-key", api.apiKey], { cwd: ROOT, timeout: 60_000, env: { ...env, SEMLA_DATA_DIR: path.join(dir, "elsewhere") } });
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "semla-jobs-"));
    api = await startEmbedded(
      // No background rounds: `jobs wait` polls, and each read advances the job.
      parseConfig({ SEMLA_DATA_DIR: path.join(dir, "data"), SEMLA_PORT: String(await freePort()), SEMLA_LOG_LEVEL: "error", SEMLA_JOBS_POLL_MS: "0" }),
      { seedLibrary: (input) => ensureWorldLibrary({ ...input, spec: WORLD_TINY }), logger: createLogger("error", () => {}) },
    );
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("submits two images under an idempotency key, waits, and writes the masks segment answers", async () => {
    const images = api.seeded.testImages.slice(0, 2).map((image) => image.path);
    const args = ["submit", ...images, "--library", api.seeded.library.id, "--classes", "road,sky", "--key", "nightly-1", "--json"];
    const submitted = JSON.parse((await jobs(args)).stdout) as { id: string; status: string; counts: { total: number } };
    expect([submitted.status, submitted.counts.total]).toEqual(["queued", 2]);
    // Run twice (a retried cron job): the same job.
    expect(JSON.parse((await jobs(args)).stdout).id).toBe(submitted.id);

    const out = path.join(dir, "masks");
    const waited = await jobs(["wait", submitted.id, "--interval", "0.1", "--timeout", "60", "--out", out]);
    expect(waited.stdout.split("\n")[0]).toMatch(new RegExp(`^job ${submitted.id}: succeeded \\(2 succeeded, 0 failed, 0 running, 0 queued of 2; expires `));
    for (const [index, file] of images.entries()) {
      const sync = await fetch(`${api.url}/v1/segment`, {
        method: "POST",
        headers: { authorization: `Bearer ${api.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ libraryId: api.seeded.library.id, image: (await readFile(file)).toString("base64"), classNames: ["road", "sky"] }),
      });
      const { mask } = (await sync.json()) as { mask: string };
      expect((await readFile(path.join(out, `${index}.png`))).toString("base64")).toBe(mask);
    }
  });

  it("exits 1 with the API's code for an unknown job, and 2 with the usage for a bad call", async () => {
    const missing = await jobs(["get", "00000000-0000-4000-8000-000000000000"]).catch((error: { code: number; stderr: string }) => error);
    expect(missing).toMatchObject({ code: 1, stderr: "semla: job 00000000-0000-4000-8000-000000000000 does not exist (api.not-found)\n" });
    const bad = await jobs(["submit", "--library", api.seeded.library.id, "--classes", "road"]).catch((error: { code: number; stderr: string }) => error);
    // A usage mistake: exit status 2, the line, then that command's usage.
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/^semla: jobs submit takes images or --prefix, one of the two\n\nUsage: semla jobs submit \[options\] \[images\.\.\.\]\n/);
  });
});
