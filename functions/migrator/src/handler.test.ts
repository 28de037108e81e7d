import { createLogger } from "@semla/observability";
import { describe, expect, it } from "vitest";
import { handler } from "./handler.js";

describe("the migrator's log", () => {
  it("is JSON lines carrying the invocation's request id: a refused action logs its failure and still throws", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    await expect(handler({ action: "drop" }, { awsRequestId: "8f1c2d9e-lambda" }, logger)).rejects.toThrow('unknown action "drop"');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "error",
      msg: "migration failed",
      requestId: "8f1c2d9e-lambda",
      name: "Error",
      error: 'unknown action "drop": the migrator only does "migrate"',
    });
  });
});
