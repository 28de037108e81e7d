import { distance, type Metric } from "../routing/distance.js";
import { quantile } from "./calibration.js";

/** One out-of-library query as recorded (no image: its embedding, and the adapters nearest it). */
export interface OutOfLibraryEvent {
  readonly embedding: ArrayLike<number>;
  /** The routed plan's adapters, nearest first, with their distances. */
  readonly nearest: readonly { readonly adapterId: string; readonly distance: number }[];
  readonly at: Date;
}

/** A region of embedding space the library does not cover, and how much traffic it drew. */
export interface CoverageGap {
  /** Out-of-library requests in the cluster. */
  readonly requests: number;
  /** Their mean embedding: a centroid for an adapter trained on such images. */
  readonly centroid: number[];
  /** The 95th percentile of their distances to it. */
  readonly spread: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  /** Adapters nearest its requests: how many named each among their plan's nearest, and their mean distance; most often first. */
  readonly nearest: readonly { readonly adapterId: string; readonly requests: number; readonly meanDistance: number }[];
}

/**
 * Clusters out-of-library queries into coverage gaps: leader clustering in arrival order (a query
 * joins the first cluster whose leader is within `radius`, else leads a new one; one pass, O(n·c),
 * deterministic), then each cluster is summarised around its mean. Largest first, ties oldest first.
 * `radius` is the library's calibrated radius: a gap is then about as wide as one adapter's domain.
 */
export function coverageGaps(events: readonly OutOfLibraryEvent[], options: { readonly radius: number; readonly metric: Metric; readonly nearestPerGap?: number }): CoverageGap[] {
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  const clusters: { leader: ArrayLike<number>; members: OutOfLibraryEvent[] }[] = [];
  for (const event of ordered) {
    const home = clusters.find((c) => distance(options.metric, c.leader, event.embedding) <= options.radius);
    if (home) home.members.push(event);
    else clusters.push({ leader: event.embedding, members: [event] });
  }
  const gaps = clusters.map(({ members }) => summarise(members, options.metric, options.nearestPerGap ?? 3));
  return gaps
    .map((gap, order) => ({ gap, order }))
    .sort((a, b) => b.gap.requests - a.gap.requests || a.order - b.order)
    .map(({ gap }) => gap);
}

function summarise(members: readonly OutOfLibraryEvent[], metric: Metric, nearestPerGap: number): CoverageGap {
  const dimension = (members[0] as OutOfLibraryEvent).embedding.length;
  const sum = new Float64Array(dimension);
  for (const m of members) for (let i = 0; i < dimension; i++) sum[i]! += m.embedding[i] as number;
  const centroid = Array.from(sum, (x) => x / members.length);
  const named = new Map<string, { requests: number; total: number }>();
  for (const m of members) {
    for (const n of m.nearest) {
      const seen = named.get(n.adapterId) ?? { requests: 0, total: 0 };
      seen.requests++;
      seen.total += n.distance;
      named.set(n.adapterId, seen);
    }
  }
  const nearest = [...named]
    .map(([adapterId, { requests, total }]) => ({ adapterId, requests, meanDistance: total / requests }))
    .sort((a, b) => b.requests - a.requests || a.meanDistance - b.meanDistance || (a.adapterId < b.adapterId ? -1 : 1))
    .slice(0, nearestPerGap);
  const times = members.map((m) => m.at.getTime());
  return {
    requests: members.length,
    centroid,
    spread: quantile(
      members.map((m) => distance(metric, m.embedding, centroid)),
      0.95,
    ),
    firstSeen: new Date(Math.min(...times)),
    lastSeen: new Date(Math.max(...times)),
    nearest,
  };
}
