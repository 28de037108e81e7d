import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { formatStageCosts } from "../../../infra/costs.js";
import { stageSettings } from "../../../infra/settings.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** `semla cost` as a user runs it: the cost model of the settings a deploy from this shell would use. */
function semla(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SEMLA_")));
  return run(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: { ...clean, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe("semla cost", () => {
  it("prints the stage's costs, and a month at the given traffic", async () => {
    const result = await semla(["cost", "--stage", "dev", "--requests-per-month", "100000"]);
    expect(result).toEqual({ code: 0, stdout: formatStageCosts("dev", stageSettings("dev"), 100_000), stderr: "" });
    expect(result.stdout).toContain("100,000 requests a month: $6.55 (one burst, 1 wake-up) to $543.88 (spread out, 2,190 wake-ups)");
  });

  it("costs what a deploy would create: SEMLA_ENDPOINT_MIN_COPIES=0 scales production to zero", async () => {
    const result = await semla(["cost", "--stage", "production"], { SEMLA_ENDPOINT_MIN_COPIES: "0" });
    expect(result.stdout).toBe(formatStageCosts("production", stageSettings("production", { minCopies: "0" })));
    expect(result.stdout).toMatch(/at rest, per month:\n(.*\n)* {2}total +\$60\.75\n/);
  });

  it("SEMLA_NETWORK=vpc puts dev's functions back in the VPC, with its interface endpoint", async () => {
    const result = await semla(["cost", "--stage", "dev"], { SEMLA_NETWORK: "vpc" });
    expect(result.stdout).toBe(formatStageCosts("dev", stageSettings("dev", { network: "vpc" })));
    expect(result.stdout).toMatch(/at rest, per month:\n(.*\n)* {2}total +\$16\.98\n/);
  });

  it("refuses settings a deploy would refuse, naming the variable (exit 1), and a missing --stage (exit 2)", async () => {
    expect(await semla(["cost", "--stage", "dev"], { SEMLA_ENDPOINT_IDLE_MINUTES: "2000" })).toEqual({
      code: 1,
      stdout: "",
      stderr: "semla: stage setting endpoint.scaleToZeroAfterMinutes = 2000: must be a whole number of minutes from 1 to 1440 (a CloudWatch alarm evaluates at most one day)\n",
    });
    const missing = await semla(["cost"]);
    expect([missing.code, missing.stderr.split("\n")[0]]).toEqual([2, "semla: required option '--stage <stage>' not specified"]);
    const negative = await semla(["cost", "--stage", "dev", "--requests-per-month=-5"]);
    expect([negative.code, negative.stderr.split("\n")[0]]).toEqual([2, "semla: option '--requests-per-month <n>' argument '-5' is invalid. It must be at least 0."]);
  });
});
