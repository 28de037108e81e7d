import { describe, expect, it } from "vitest";
import { EvalArgsSchema } from "./eval.js";

const issues = (input: Record<string, unknown>) => {
  const parsed = EvalArgsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("semla eval arguments", () => {
  it("default to the demo world, every method, cat fusion and the pipeline's routing defaults", () => {
    const args = EvalArgsSchema.parse({});
    expect(args).toMatchObject({ world: "demo", seed: 7, methods: ["zeroshot", "uniform", "semla", "oracle"], combination: "cat", dataset: [] });
    expect(args.k).toBeUndefined();
    expect(EvalArgsSchema.parse({ methods: "oracle,semla", k: "3", temperature: "0.1", metric: "cosine" })).toMatchObject({ methods: ["semla", "oracle"], k: 3, temperature: 0.1, metric: "cosine" });
  });

  it("refuse what cannot run, saying which option is wrong", () => {
    expect(issues({ methods: "semla,best" })).toEqual(["methods: unknown best (known: zeroshot, uniform, semla, oracle)"]);
    expect(issues({ dataset: ["d"] })).toEqual(["library: --library ID is needed with --dataset"]);
    expect(issues({ combination: "ties" })[0]).toMatch(/^combination: /);
    expect(EvalArgsSchema.safeParse({ combination: "ties", density: "0.5" }).success).toBe(true);
    expect(issues({ k: "0" })[0]).toMatch(/^k: /);
    expect(issues({ world: "huge" })[0]).toMatch(/^world: /);
    expect(issues({ backend: "sagemaker", "sagemaker-endpoint": undefined }).some((m) => m.startsWith("sagemaker-endpoint"))).toBe(!process.env.SEMLA_SAGEMAKER_ENDPOINT);
  });
});
