import { describe, expect, it } from "vitest";
import { LIBRARY, ORIGIN, routingErrorFrom } from "../testing/routing.js";
import type { Candidate } from "./nearest.js";
import type { Neighbor } from "./neighbor.js";
import { parseRoutingOptions } from "./options.js";
import { planFromNeighbors, route } from "./plan.js";
import { type FusionPlan, FusionPlanSchema } from "./plan-schema.js";

const weightsOf = (plan: FusionPlan) => plan.adapters.map((a) => a.weight);
const idsOf = (plan: FusionPlan) => plan.adapters.map((a) => a.id);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

const library = LIBRARY;
const origin = ORIGIN;

describe("route with inverse-euclidean similarity", () => {
  it("defaults to k 5, T 0.05: all four adapters, weights softmax(similarity / 0.05)", () => {
    const plan = route(origin, library);
    // similarity / T = 1/0.05, 0.5/0.05, 0.2/0.05, 0.1/0.05 = 20, 10, 4, 2
    const z = Math.exp(20) + Math.exp(10) + Math.exp(4) + Math.exp(2);
    expect(plan).toMatchObject({
      weighting: "softmax",
      metric: "euclidean",
      temperature: 0.05,
      k: 5,
      exclude: [],
      similarity: "inverse-euclidean",
    });
    expect(plan.adapters.map(({ id, rank, distance, similarity }) => ({ id, rank, distance, similarity }))).toEqual([
      { id: "c", rank: 1, distance: 1, similarity: 1 },
      { id: "b", rank: 2, distance: 2, similarity: 0.5 },
      { id: "a", rank: 3, distance: 5, similarity: 0.2 },
      { id: "d", rank: 4, distance: 10, similarity: 0.1 },
    ]);
    const [wc, wb, wa, wd] = weightsOf(plan);
    expect(wc).toBeCloseTo(Math.exp(20) / z, 14);
    expect(wb).toBeCloseTo(Math.exp(10) / z, 14);
    expect(wa! / (Math.exp(4) / z)).toBeCloseTo(1, 12);
    expect(wd! / (Math.exp(2) / z)).toBeCloseTo(1, 12);
    expect(sum(weightsOf(plan))).toBeCloseTo(1, 15);
    expect(FusionPlanSchema.parse(plan)).toEqual(plan);
  });

  it("at T = 1 weights are exp(similarity) normalised over the top k", () => {
    const plan = route(origin, library, parseRoutingOptions({ k: 2, temperature: 1 }));
    const z = Math.exp(1) + Math.exp(0.5);
    expect(idsOf(plan)).toEqual(["c", "b"]);
    const [wc, wb] = weightsOf(plan);
    expect(wc).toBeCloseTo(Math.exp(1) / z, 15);
    expect(wb).toBeCloseTo(Math.exp(0.5) / z, 15);
  });

  it("at T = 1 over all four: exp(1), exp(0.5), exp(0.2), exp(0.1)", () => {
    const plan = route(origin, library, parseRoutingOptions({ temperature: 1 }));
    const z = Math.exp(1) + Math.exp(0.5) + Math.exp(0.2) + Math.exp(0.1);
    const expected = [Math.exp(1) / z, Math.exp(0.5) / z, Math.exp(0.2) / z, Math.exp(0.1) / z];
    weightsOf(plan).forEach((w, i) => {
      expect(w).toBeCloseTo(expected[i]!, 15);
    });
  });

  it("returns every adapter when k exceeds the library", () => {
    const plan = route(origin, library, parseRoutingOptions({ k: 50 }));
    expect(plan.k).toBe(50);
    expect(idsOf(plan)).toEqual(["c", "b", "a", "d"]);
  });

  it("gives tied distances the same weight, orders them by id, and keeps the lower id at the k boundary", () => {
    const tied: Candidate[] = [
      { id: "y", centroid: [-4, 3] },
      { id: "x", centroid: [3, 4] },
      { id: "z", centroid: [1, 0] },
      { id: "w", centroid: [0, -5] },
    ];
    const plan = route(origin, tied, parseRoutingOptions({ temperature: 1 }));
    expect(idsOf(plan)).toEqual(["z", "w", "x", "y"]);
    // similarities 1, 0.2, 0.2, 0.2
    const z = Math.exp(1) + 3 * Math.exp(0.2);
    const [wz, ww, wx, wy] = weightsOf(plan);
    expect(wz).toBeCloseTo(Math.exp(1) / z, 15);
    expect(ww).toBeCloseTo(Math.exp(0.2) / z, 15);
    expect(wx).toBe(ww);
    expect(wy).toBe(ww);

    expect(idsOf(route(origin, tied, parseRoutingOptions({ k: 2 })))).toEqual(["z", "w"]);
  });

  it("removes excluded adapters before the top k, so the next-nearest enters", () => {
    const plan = route(origin, library, parseRoutingOptions({ k: 2, temperature: 1, exclude: ["c"] }));
    expect(plan.exclude).toEqual(["c"]);
    expect(idsOf(plan)).toEqual(["b", "a"]);
    const z = Math.exp(0.5) + Math.exp(0.2);
    const [wb, wa] = weightsOf(plan);
    expect(wb).toBeCloseTo(Math.exp(0.5) / z, 15);
    expect(wa).toBeCloseTo(Math.exp(0.2) / z, 15);
  });
});

describe("zero distance", () => {
  it("gives the exact match weight exactly 1, the others exactly 0, and similarity null", () => {
    const plan = route([3, 4], library);
    expect(idsOf(plan)).toEqual(["a", "b", "c", "d"]); // distances 0, √13, √20, 5
    expect(weightsOf(plan)).toEqual([1, 0, 0, 0]);
    expect(plan.adapters[0]?.similarity).toBeNull();
    expect(plan.adapters[0]?.distance).toBe(0);
    expect(weightsOf(plan).some(Number.isNaN)).toBe(false);
  });

  it("splits the weight 0.5 / 0.5 between two exact matches", () => {
    const plan = route([3, 4], [...library, { id: "a2", centroid: [3, 4] }]);
    expect(idsOf(plan).slice(0, 2)).toEqual(["a", "a2"]);
    expect(weightsOf(plan)).toEqual([0.5, 0.5, 0, 0, 0]);
  });

  it("survives a JSON round trip: the infinite similarity travels as null", () => {
    const plan = route([3, 4], library);
    const revived = FusionPlanSchema.parse(JSON.parse(JSON.stringify(plan)));
    expect(revived).toEqual(plan);
  });
});

describe("nothing to fuse", () => {
  it("returns an empty plan for an empty library", () => {
    const plan = route(origin, []);
    expect(plan.adapters).toEqual([]);
    expect(FusionPlanSchema.parse(plan)).toEqual(plan);
  });

  it("returns an empty plan when every adapter is excluded", () => {
    expect(route(origin, library, parseRoutingOptions({ exclude: ["a", "b", "c", "d"] })).adapters).toEqual([]);
  });
});

describe("route with cosine similarity", () => {
  const directions: Candidate[] = [
    { id: "west", centroid: [-1, 0] }, // cos −1
    { id: "north", centroid: [0, 3] }, // cos 0
    { id: "northeast", centroid: [1, 1] }, // cos 1/√2
    { id: "east", centroid: [2, 0] }, // cos 1: a scaled copy of the query
  ];

  it("picks the MOST similar adapters and weights them by softmax(cos / T)", () => {
    const plan = route([1, 0], directions, parseRoutingOptions({ metric: "cosine", k: 2, temperature: 1 }));
    expect(plan.similarity).toBe("cosine");
    expect(idsOf(plan)).toEqual(["east", "northeast"]);
    expect(plan.adapters[0]?.distance).toBe(0);
    expect(plan.adapters[0]?.similarity).toBe(1);
    expect(plan.adapters[1]?.similarity).toBeCloseTo(1 / Math.SQRT2, 15);
    const z = Math.exp(1) + Math.exp(1 / Math.SQRT2);
    const [we, wne] = weightsOf(plan);
    expect(we).toBeCloseTo(Math.exp(1) / z, 15);
    expect(wne).toBeCloseTo(Math.exp(1 / Math.SQRT2) / z, 15);
  });

  it("ranks all four from most to least similar with similarities 1, 1/√2, 0, −1", () => {
    const plan = route([1, 0], directions, parseRoutingOptions({ metric: "cosine", temperature: 1 }));
    expect(idsOf(plan)).toEqual(["east", "northeast", "north", "west"]);
    const similarities = plan.adapters.map((a) => a.similarity);
    expect(similarities[0]).toBe(1);
    expect(similarities[1]).toBeCloseTo(1 / Math.SQRT2, 15);
    expect(similarities[2]).toBe(0);
    expect(similarities[3]).toBe(-1);
    const z = Math.exp(1) + Math.exp(1 / Math.SQRT2) + Math.exp(0) + Math.exp(-1);
    expect(plan.adapters[3]?.weight).toBeCloseTo(Math.exp(-1) / z, 15);
  });

  it("gives a zero cosine distance a finite similarity of 1, not all the weight", () => {
    const plan = route([1, 0], directions, parseRoutingOptions({ metric: "cosine", k: 2 }));
    // similarity / T = 20 and (1/√2)/0.05 ≈ 14.14: the exact direction dominates but is not 1.
    expect(plan.adapters[0]?.weight).toBeLessThan(1);
    expect(plan.adapters[0]?.weight).toBeCloseTo(1 / (1 + Math.exp((1 / Math.SQRT2 - 1) / 0.05)), 12);
  });
});

describe("planFromNeighbors (distances from a database)", () => {
  it("re-sorts unsorted neighbours by distance, then id", () => {
    const rows: Neighbor[] = [
      { id: "far", distance: 10 },
      { id: "tie-b", distance: 2 },
      { id: "near", distance: 1 },
      { id: "tie-a", distance: 2 },
    ];
    expect(idsOf(planFromNeighbors(rows, parseRoutingOptions({ k: 3 })))).toEqual(["near", "tie-a", "tie-b"]);
  });

  it("drops excluded ids even if the database returned them", () => {
    const rows: Neighbor[] = [
      { id: "self", distance: 0 },
      { id: "other", distance: 4 },
    ];
    const plan = planFromNeighbors(rows, parseRoutingOptions({ exclude: ["self"] }));
    expect(idsOf(plan)).toEqual(["other"]);
    expect(weightsOf(plan)).toEqual([1]);
  });

  it("keeps weights finite and summing to 1 when similarity / T is around 20000", () => {
    // similarities 1000 and 999.95; (999.95 − 1000) / 0.05 = −1
    const plan = planFromNeighbors(
      [
        { id: "p", distance: 1e-3 },
        { id: "q", distance: 1 / 999.95 },
      ],
      parseRoutingOptions({ temperature: 0.05 }),
    );
    const [wp, wq] = weightsOf(plan);
    expect(wp).toBeCloseTo(1 / (1 + Math.exp(-1)), 10);
    expect(wq).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)), 10);
    expect(sum(weightsOf(plan))).toBeCloseTo(1, 15);

    const steep = planFromNeighbors(
      [
        { id: "p", distance: 1e-3 },
        { id: "q", distance: 2e-3 },
      ],
      parseRoutingOptions({ temperature: 0.05 }),
    );
    // (500 − 1000) / 0.05 = −10000: exp underflows to exactly 0.
    expect(weightsOf(steep)).toEqual([1, 0]);
  });

  it.each([
    ["a negative distance", { id: "bad", distance: -0.5 }, "euclidean", "routing.invalid-distance"],
    ["a NaN distance", { id: "bad", distance: Number.NaN }, "euclidean", "routing.non-finite"],
    ["an infinite distance", { id: "bad", distance: Infinity }, "euclidean", "routing.non-finite"],
    ["a cosine distance above 2", { id: "bad", distance: 2.5 }, "cosine", "routing.invalid-distance"],
  ] as const)("rejects %s", (_name, row, metric, code) => {
    const error = routingErrorFrom(() => planFromNeighbors([{ id: "ok", distance: 1 }, row], parseRoutingOptions({ metric })));
    expect(error.code).toBe(code);
    expect(error.message).toContain('neighbor "bad"');
  });

  it("names the neighbour and the range in the message", () => {
    const error = routingErrorFrom(() => planFromNeighbors([{ id: "bad", distance: -0.5 }]));
    expect(error.message).toBe('neighbor "bad" has euclidean distance -0.5, outside [0, ∞)');
  });

  it("rejects duplicate ids", () => {
    const error = routingErrorFrom(() =>
      planFromNeighbors([
        { id: "a", distance: 1 },
        { id: "a", distance: 2 },
      ]),
    );
    expect(error.code).toBe("routing.duplicate-id");
  });
});

describe("route option errors", () => {
  it.each([
    ["k = 0", { k: 0 }],
    ["temperature = 0", { temperature: 0 }],
    ["temperature < 0", { temperature: -0.05 }],
  ])("rejects %s with routing.invalid-options", (_name, options) => {
    expect(routingErrorFrom(() => parseRoutingOptions(options)).code).toBe("routing.invalid-options");
  });

  it("reports a dimension mismatch naming the candidate", () => {
    const error = routingErrorFrom(() => route([0, 0, 0], library));
    expect(error.code).toBe("routing.dimension-mismatch");
    expect(error.message).toBe('candidate "a" has dimension 2 but query has dimension 3');
  });

  it("reports a zero query under cosine", () => {
    expect(routingErrorFrom(() => route([0, 0], library, parseRoutingOptions({ metric: "cosine" }))).code).toBe("routing.zero-vector");
  });

  it("reports NaN in the query", () => {
    expect(routingErrorFrom(() => route([Number.NaN, 0], library)).code).toBe("routing.non-finite");
  });
});
