import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { bytesSource, CATSEG_L_MODULES, peft } from "@semla/core";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("semla demo (the README's start command until the API lands)", () => {
  let dir = "";
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes a SemLA loradb folder, imports it into the embedded registry, routes a foggy embedding with fog left out, and writes an exact fused adapter", async () => {
    dir = await mkdtemp(join(tmpdir(), "semla-demo-"));
    const { stdout } = await run(process.execPath, ["functions/cli/bin/semla.js", "demo", "--dir", dir], { maxBuffer: 1 << 20 });
    expect((await readdir(join(dir, "loradb"))).sort()).toEqual(["clear", "fog", "fog+night", "night", "overexposure", "rain", "rain+night", "snow"]);
    expect(await readdir(join(dir, "loradb", "fog+night"))).toEqual(expect.arrayContaining(["adapter_config.json", "adapter_model.safetensors", "fog+night_statistics.npz"]));
    expect(stdout).toMatch(/8 new, 0 already there/);
    expect(stdout).toMatch(/^1\s+fog\s/m);
    expect(stdout).toMatch(/excluded fog/);

    const fused = await peft.readLoraAdapter({
      config: await readFile(join(dir, "fused", "adapter_config.json")),
      weights: bytesSource(await readFile(join(dir, "fused", "adapter_model.safetensors"))),
    });
    expect(fused.config.r).toBe(40);
    expect(fused.config.lora_alpha).toBe(40);
    expect(fused.modules).toHaveLength(CATSEG_L_MODULES.length);
    const error = Number(/max \|ΔW − Σ wᵢsᵢBᵢAᵢ\| on \S+\s+(\S+)/.exec(stdout)?.[1]);
    expect(error).toBeLessThan(1e-6);
  }, 120_000);

  it("a second start reuses the registry: the import is idempotent", async () => {
    const { stdout } = await run(process.execPath, ["functions/cli/bin/semla.js", "demo", "--dir", dir], { maxBuffer: 1 << 20 });
    expect(stdout).toMatch(/0 new, 8 already there/);
  }, 120_000);

  it("refuses a bad --seed with a usage error (exit 2)", async () => {
    await expect(run(process.execPath, ["functions/cli/bin/semla.js", "demo", "--seed", "1.5"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^semla: option '--seed <n>' argument '1\.5' is invalid\. It must be an integer\.\n\nUsage: semla demo \[options\]\n/),
    });
  });
});
