import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { dollars, formatStageCosts, monthlyEstimate, runsPerMonth, stageCosts } from "./costs";
import { BEGIN, costSection, END, withCostSection } from "./costs-readme";
import { stageSettings } from "./settings";

/**
 * The cost model against sums worked out by hand (python3, from the list prices in
 * infra/prices.ts and the settings): a month is 730 hours.
 */
const byKey = (lines: readonly { key: string; dollars: number }[]) => Object.fromEntries(lines.map((line) => [line.key, line.dollars]));

describe("at rest, per month", () => {
  test("dev pays no GPU and no VPC endpoint: storage, the registry, the alarms, the sweep's wake-ups", () => {
    const { atRest } = stageCosts(stageSettings("dev"));
    const lines = byKey(atRest.lines);
    expect(lines["SageMaker endpoint, copies kept warm"]).toBe(0);
    expect(lines["Aurora capacity"]).toBe(0);
    // 730 × 60 / 1440 = 30.42 daily runs, each 10 idle minutes + 1 at 0.5 ACU × $0.12.
    expect(lines["Aurora woken by the sweep"]).toBeCloseTo(0.334583, 6);
    // "data-api": the functions are outside the VPC, so no interface endpoint.
    expect(lines["VPC interface endpoint sagemaker.runtime"]).toBeUndefined();
    expect(lines["NAT gateways, S3 gateway endpoint"]).toBe(0);
    expect(lines["CloudWatch alarms of the endpoint's scaling"]).toBeCloseTo(0.3, 10);
    expect(lines["Lambda, function URL"]).toBe(0);
    expect(lines["SageMaker jobs endpoint"]).toBe(0);
    expect(lines["CloudWatch alarms of the jobs endpoint's scaling"]).toBeCloseTo(0.3, 10);
    // 43,800 rounds × 0.1 s at 2 GB (+ 1.5 GB of /tmp) + 43,800 requests + 43,800 LISTs at $0.005 per 1,000.
    expect(lines["Jobs runner, idle rounds"]).toBeCloseTo(0.373963, 6);
    // 0.334583 + 1 GB × $0.10 + 0.3 + 3 GB × $0.023 + 5 GB × $0.10 + $0.40 + 0.3 + 0.373963.
    expect(atRest.total).toBeCloseTo(2.377547, 6);
  });

  test("dev in the VPC (SEMLA_NETWORK=vpc) pays the SageMaker Runtime interface endpoint in two AZs on top", () => {
    const { atRest } = stageCosts(stageSettings("dev", { network: "vpc" }));
    expect(byKey(atRest.lines)["VPC interface endpoint sagemaker.runtime"]).toBeCloseTo(2 * 730 * 0.01, 10);
    expect(atRest.total).toBeCloseTo(16.977547, 6);
  });

  test("production pays its one warm ml.g5.xlarge copy and 0.5 ACU", () => {
    const { atRest } = stageCosts(stageSettings("production"));
    const lines = byKey(atRest.lines);
    expect(lines["SageMaker endpoint, copies kept warm"]).toBeCloseTo(1027.84, 10);
    expect(lines["Aurora capacity"]).toBeCloseTo(43.8, 10);
    expect(lines["Aurora woken by the sweep"]).toBeUndefined();
    // Target tracking's two alarms only.
    expect(lines["CloudWatch alarms of the endpoint's scaling"]).toBeCloseTo(0.2, 10);
    expect(byKey(atRest.lines)["Jobs runner, idle rounds"]).toBeCloseTo(0.483464, 6);
    expect(atRest.total).toBeCloseTo(1088.292464, 6);
  });

  test("production at a minimum of 0 copies pays no GPU either", () => {
    expect(stageCosts(stageSettings("production", { minCopies: "0" })).atRest.total).toBeCloseTo(60.752464, 6);
  });

  test("RDS is always on: db.t4g.micro and 20 GB gp3 in dev", () => {
    const lines = byKey(stageCosts(stageSettings("dev", { database: "rds" })).atRest.lines);
    expect(lines["RDS instance"]).toBeCloseTo(11.68, 10);
    expect(lines["RDS storage"]).toBeCloseTo(2.3, 10);
  });

  test("a sweep running more often than the cluster pauses keeps it awake all month", () => {
    const lines = byKey(stageCosts({ ...stageSettings("dev"), sweepSchedule: "rate(5 minutes)" }).atRest.lines);
    expect(lines["Aurora woken by the sweep"]).toBeCloseTo(730 * 0.5 * 0.12, 10);
  });
});

describe("per 1,000 segment requests, warm", () => {
  test("dev: the API's 2 GB × 0.5 s, the ml.g4dn.xlarge at 36,000 requests an hour, 3,000 Data API calls", () => {
    const { perThousand } = stageCosts(stageSettings("dev"));
    expect(perThousand.lines.map((line) => line.key)).toEqual([
      "API Lambda",
      "SageMaker instance time at the load target",
      "Aurora Data API",
      "Database I/O, S3 GETs (adapters cached by sha256), logs",
    ]);
    // 3,000 calls × $0.35 per million.
    expect(perThousand.lines.map((line) => Number(line.dollars.toFixed(9)))).toEqual([0.016889875, 0.020455556, 0.00105, 0.000876837]);
    expect(perThousand.total).toBeCloseTo(0.0392723, 7);
  });

  test("dev in the VPC: 0.5 GB of images through the interface endpoint instead of the Data API's calls", () => {
    const { perThousand } = stageCosts(stageSettings("dev", { network: "vpc" }));
    expect(byKey(perThousand.lines)).toMatchObject({ "SageMaker Runtime interface endpoint": 0.005 });
    expect(byKey(perThousand.lines)["Aurora Data API"]).toBeUndefined();
    expect(perThousand.total).toBeCloseTo(0.0432223, 7);
  });

  test("production: 3.5 GB × 0.343 s, the ml.g5.xlarge", () => {
    const { perThousand } = stageCosts(stageSettings("production"));
    expect(Object.values(byKey(perThousand.lines)).map((d) => Number(d.toFixed(9)))).toEqual([0.020215931, 0.039111111, 0.005, 0.000876837]);
    expect(perThousand.total).toBeCloseTo(0.0652039, 7);
  });
});

describe("asynchronous jobs", () => {
  test("dev, per 1,000 images: the runner's 2 GB × 0.35 s, the ml.g4dn.xlarge at 14,400 images an hour, 4 PUT + 4 GET each", () => {
    const { jobs } = stageCosts(stageSettings("dev"));
    expect(jobs.perThousand.lines.map((line) => line.key)).toEqual(["Jobs runner Lambda", "SageMaker jobs endpoint instance time", "S3 requests of the jobs"]);
    // 350 s × (2 GB × $0.0000166667 + 1.5 GB × $0.0000000309); 1000 / 14,400 × $0.7364; 4 × $0.005 + 4 × $0.0004.
    expect(jobs.perThousand.lines.map((line) => Number(line.dollars.toFixed(9)))).toEqual([0.011682913, 0.051138889, 0.0216]);
  });

  test("the jobs endpoint always starts from zero: 5 minutes to an instance, at least 5 + 10 instance-minutes a batch", () => {
    expect(stageCosts(stageSettings("dev")).jobs.coldStart).toEqual({ minutesToCapacity: 5, billedMinutes: 15, dollars: (15 / 60) * 0.7364 });
    expect(stageCosts(stageSettings("production")).jobs.coldStart).toEqual({ minutesToCapacity: 5, billedMinutes: 15, dollars: (15 / 60) * 1.408 });
  });
});

describe("the cold start", () => {
  test("dev waits about 5 minutes and bills at least 5 + 15 idle instance-minutes per wake-up", () => {
    expect(stageCosts(stageSettings("dev")).coldStart).toEqual({ minutesToCapacity: 5, billedMinutes: 20, dollars: (20 / 60) * 0.7364 });
  });

  test("production keeps a copy warm: no cold start", () => {
    expect(stageCosts(stageSettings("production")).coldStart).toBeUndefined();
  });

  test("a month of traffic lies between one burst and a wake-up per request, at most a month's worth of wake-ups", () => {
    const dev = stageSettings("dev");
    const month = monthlyEstimate(dev, 100_000);
    expect(month.wakeUps).toEqual({ low: 1, high: 2190 });
    expect(month.low).toBeCloseTo(2.377547 + 100 * 0.0392723 + 0.245467, 4);
    expect(month.high).toBeCloseTo(2.377547 + 100 * 0.0392723 + 2190 * 0.245467, 2);
    expect(monthlyEstimate(dev, 3)).toMatchObject({ wakeUps: { low: 1, high: 3 } });
    const idle = monthlyEstimate(dev, 0);
    expect([idle.low, idle.high, idle.wakeUps]).toEqual([stageCosts(dev).atRest.total, stageCosts(dev).atRest.total, { low: 0, high: 0 }]);
    expect(idle.low).toBeCloseTo(2.377547, 6);
    expect(monthlyEstimate(stageSettings("production"), 1000).wakeUps).toEqual({ low: 0, high: 0 });
  });
});

test("schedules: rate() by its unit, cron() as daily", () => {
  expect([runsPerMonth("rate(1 day)"), runsPerMonth("rate(1 hour)"), runsPerMonth("rate(30 minutes)"), runsPerMonth("cron(0 3 * * ? *)")]).toEqual([730 / 24, 730, 1460, 730 / 24]);
});

test("dollars: cents from $1, thousandths below, crumbs as < $0.001", () => {
  expect([0, 0.0004, 0.0169, 0.5, 14.6, 1087.509].map(dollars)).toEqual(["$0", "< $0.001", "$0.017", "$0.500", "$14.60", "$1,087.51"]);
});

test("semla cost's report itemises the three numbers and a month of traffic", () => {
  const report = formatStageCosts("dev", stageSettings("dev"), 100_000);
  expect(report).toMatch(/^stage dev: list prices us-east-1, read 2025 \(infra\/prices\.ts\); a month is 730 hours\n/);
  expect(report).toContain("\nat rest, per month:\n  SageMaker endpoint, copies kept warm (0 × ml.g4dn.xlarge)");
  expect(report).toMatch(/\n {2}total +\$2\.38\n/);
  expect(report).toMatch(/\n {2}total +\$0\.039\n/);
  expect(report).toContain("cold start: ≈ 5 min to capacity (the API answers 503 backend.scaling-from-zero meanwhile); each wake-up bills ≥ 20 instance-minutes (start + 15 idle) = $0.245");
  expect(report).toMatch(/\nper 1,000 job images \(POST \/v1\/jobs\):\n {2}Jobs runner Lambda \(2048 MB × 0\.35 s per image\) +\$0\.012\n/);
  expect(report).toContain("jobs endpoint start: ≈ 5 min to capacity (jobs wait in its queue); each bills ≥ 15 instance-minutes (start + 10 after the queue empties) = $0.184\n");
  expect(report.endsWith("100,000 requests a month: $6.55 (one burst, 1 wake-up) to $543.88 (spread out, 2,190 wake-ups)\n")).toBe(true);
  expect(formatStageCosts("production", stageSettings("production"))).toContain("cold start: none: 1 copy kept warm\n");
});

describe("the README's cost section", () => {
  test("is the cost model's, as generated (npm run costs rewrites it)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(section).toBe(costSection());
  });

  test("states the at-rest totals and the per-request totals of both stages", () => {
    expect(costSection()).toContain("| **total** | **$2.38** | **$1,088.29** |");
    expect(costSection()).toContain("| **total** | **$0.039** | **$0.065** |");
  });

  test("replacing it keeps the rest of the README; a README without markers is refused", () => {
    expect(withCostSection(`a\n${BEGIN}\nold\n${END}\nb`, "NEW")).toBe("a\nNEW\nb");
    expect(() => withCostSection("no markers", "NEW")).toThrow(/README\.md has no cost section/);
  });
});
