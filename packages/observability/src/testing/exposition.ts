import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One histogram series as scraped: its count, sum and cumulative buckets (by upper bound, "+Inf" last). */
export interface ScrapedHistogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: Readonly<Record<string, number>>;
}

/**
 * A Prometheus text exposition read by an independent parser (parse-prometheus-text-format, as
 * prom2json reads it), for tests to assert exact values: a series absent reads as undefined.
 */
export interface Scrape {
  /** The families' names and types, as declared by # TYPE. */
  readonly types: Readonly<Record<string, string>>;
  /** A counter's or gauge's value for exactly these labels. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
  /** Every series of a family: its labels and value (counters and gauges). */
  series(name: string): { labels: Record<string, string>; value: number }[];
  histogram(name: string, labels?: Readonly<Record<string, string>>): ScrapedHistogram | undefined;
}

const sameLabels = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);

/**
 * The parser folds a histogram's series into one whatever their labels (it keeps only an unlabelled
 * histogram's): so its TYPE lines are dropped before parsing, and `_bucket`, `_count` and `_sum` come
 * back as plain series, labels intact, put together here.
 */
export function scrape(text: string): Scrape {
  const types = Object.fromEntries(parsePrometheusTextFormat(text).map((f) => [f.name, f.type]));
  const families = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, ""));
  // Untyped, a histogram's series come as one family per run of lines (each label set's in turn): gathered by name.
  const samples = (name: string) => families.filter((f) => f.name === name).flatMap((f) => f.metrics);
  const sampleOf = (name: string, labels: Readonly<Record<string, string>>) => samples(name).find((m) => sameLabels(m.labels, labels));
  return {
    types,
    value(name, labels = {}) {
      const sample = sampleOf(name, labels);
      return sample?.value === undefined ? undefined : Number(sample.value);
    },
    series: (name) => samples(name).map((m) => ({ labels: { ...m.labels }, value: Number(m.value) })),
    histogram(name, labels = {}) {
      const count = sampleOf(`${name}_count`, labels);
      const sum = sampleOf(`${name}_sum`, labels);
      if (types[name] !== "HISTOGRAM" || count === undefined || sum === undefined) return undefined;
      const buckets = samples(`${name}_bucket`).filter((m) => {
        const { le: _le, ...rest } = m.labels ?? {};
        return sameLabels(rest, labels);
      });
      return { count: Number(count.value), sum: Number(sum.value), buckets: Object.fromEntries(buckets.map((m) => [m.labels?.le as string, Number(m.value)])) };
    },
  };
}
