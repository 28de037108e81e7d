import { printJson, table } from "../format.js";
import { type Connection, expectOk } from "./connection.js";

/**
 * `semla coverage --library ID`: where the library's recent out-of-library requests cluster (GET
 * /v1/stats/coverage), largest gap first, with the adapters nearest each: "train an adapter for this".
 */
export async function runCoverage(
  connection: Connection,
  options: { libraryId: string; since?: string | undefined; radius?: number | undefined; limit?: number | undefined; json?: boolean },
): Promise<void> {
  const query = {
    libraryId: options.libraryId,
    ...(options.since !== undefined && { since: options.since }),
    ...(options.radius !== undefined && { radius: String(options.radius) }),
    ...(options.limit !== undefined && { limit: String(options.limit) }),
  };
  const result = await expectOk(await connection.client.v1.stats.coverage.$get({ query }));
  if (options.json) return printJson(result);
  if (result.gaps.length === 0) {
    console.log(`no coverage gaps: ${result.events} out-of-library requests recorded${options.since ? ` since ${options.since}` : ""}`);
    return;
  }
  console.log(
    table(
      ["gap", "requests", "spread", "first seen", "last seen", "nearest adapters (requests, mean distance)"],
      result.gaps.map((g, i) => [
        String(i + 1),
        String(g.requests),
        g.spread.toFixed(4),
        g.firstSeen,
        g.lastSeen,
        g.nearest.map((n) => `${n.name ?? n.adapterId} (${n.requests}, ${n.meanDistance.toFixed(4)})`).join(", "),
      ]),
    ),
  );
  console.log(`${result.events} out-of-library requests, clustered at radius ${result.radius.toFixed(4)}; each gap's centroid is in --json: train an adapter for the largest`);
}
