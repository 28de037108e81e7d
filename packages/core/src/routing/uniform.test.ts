import { describe, expect, it } from "vitest";
import { routingErrorFrom } from "../testing/routing.js";
import { FusionPlanSchema } from "./plan-schema.js";
import { uniformPlan } from "./uniform.js";

const neighbors = [
  { id: "a", distance: 5 },
  { id: "b", distance: 2 },
  { id: "c", distance: 1 },
  { id: "d", distance: 10 },
];

describe("uniformPlan from neighbours", () => {
  it("merges every eligible adapter with weight 1/n when k is omitted", () => {
    const plan = uniformPlan(neighbors);
    expect(plan).toMatchObject({ weighting: "uniform", temperature: null, k: 4, similarity: "inverse-euclidean" });
    expect(plan.adapters).toEqual([
      { id: "c", rank: 1, distance: 1, similarity: 1, weight: 0.25 },
      { id: "b", rank: 2, distance: 2, similarity: 0.5, weight: 0.25 },
      { id: "a", rank: 3, distance: 5, similarity: 0.2, weight: 0.25 },
      { id: "d", rank: 4, distance: 10, similarity: 0.1, weight: 0.25 },
    ]);
    expect(FusionPlanSchema.parse(plan)).toEqual(plan);
  });

  it("takes the top k after exclusion when k is given", () => {
    const plan = uniformPlan(neighbors, { k: 2, metric: "euclidean", exclude: ["c"] });
    expect(plan.adapters.map((a) => [a.id, a.weight])).toEqual([
      ["b", 0.5],
      ["a", 0.5],
    ]);
  });

  it("validates distances like the softmax planner", () => {
    expect(routingErrorFrom(() => uniformPlan([{ id: "x", distance: -1 }])).code).toBe("routing.invalid-distance");
  });
});

describe("uniformPlan from ids", () => {
  it("keeps the given order, with null distance and similarity", () => {
    const plan = uniformPlan(["rain", "fog", "night"], { metric: "euclidean", exclude: ["fog"] });
    expect(plan.k).toBe(2);
    expect(plan.adapters).toEqual([
      { id: "rain", rank: 1, distance: null, similarity: null, weight: 0.5 },
      { id: "night", rank: 2, distance: null, similarity: null, weight: 0.5 },
    ]);
    expect(FusionPlanSchema.parse(plan)).toEqual(plan);
  });

  it("weights three adapters 1/3 each", () => {
    expect(uniformPlan(["x", "y", "z"]).adapters.map((a) => a.weight)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it("returns an empty plan with k 1 when nothing is eligible", () => {
    const plan = uniformPlan([]);
    expect(plan.adapters).toEqual([]);
    expect(plan.k).toBe(1);
    expect(uniformPlan(["x"], { metric: "euclidean", exclude: ["x"] }).adapters).toEqual([]);
  });

  // Options come parsed (k = 0 is refused where they are parsed: options.test.ts).
  it("rejects duplicate ids", () => {
    expect(routingErrorFrom(() => uniformPlan(["x", "x"])).code).toBe("routing.duplicate-id");
  });
});
