/**
 * A counter and a histogram that share their leading labels (requests by method and route, counted
 * by status too; upstream calls by system, counted by outcome too), tallied into plain numbers
 * and written out only when /metrics is scraped.
 *
 * prom-client hashes the label object on every inc() and observe(), even through a child from
 * labels(): ~2 µs per request (issue 18). Here a caller keeps the Series of its label values
 * (one per route, looked up once), and a request is a few additions. At scrape time the two
 * metrics hand prom-client's Registry the same values its own Counter and Histogram would (same
 * label objects, same order: first seen first, same running sum), so the Registry writes the
 * same exposition text.
 */
import type { Registry } from 'prom-client';

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  /** prom-client's own values carry this key (null for buckets): kept for getMetricsAsJSON. */
  exemplar?: null;
  sharedLabels?: Record<string, string>;
}

interface MetricData {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

/** One set of leading label values: its histogram buckets and its counts by the extra label. */
export class Series {
  /** Non-cumulative: bucketCounts[i] counts values in (bound[i-1], bound[i]]; the last is +Inf. */
  readonly bucketCounts: number[];
  sum = 0;
  count = 0;
  private readonly counts = new Map<string, { value: number }>();

  constructor(
    private readonly tally: LabelledTally,
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.bucketCounts = new Array<number>(tally.bounds.length + 1).fill(0);
  }

  /** One more of this series with the counter's extra label (a status, an outcome). */
  countAs(extra: string): void {
    let count = this.counts.get(extra);
    if (!count) {
      count = { value: 0 };
      this.counts.set(extra, count);
      this.tally.counted.push({ labels: { ...this.labels, [this.tally.extraLabel]: extra }, count });
    }
    count.value += 1;
  }

  forgetCounts(): void {
    this.counts.clear();
  }

  /** One value into the histogram (seconds). */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (this.count === 0) this.tally.observed.push(this);
    const bounds = this.tally.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.bucketCounts[i] += 1;
    this.sum += value;
    this.count += 1;
  }
}

export interface TallyNames {
  counter: { name: string; help: string };
  histogram: { name: string; help: string };
}

export class LabelledTally {
  /** Counter values in the order first seen (prom-client's hash map keeps insertion order). */
  readonly counted: { labels: Record<string, string>; count: { value: number } }[] = [];
  /** Series in the order of their first observation. */
  readonly observed: Series[] = [];
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly names: TallyNames,
    readonly labelNames: readonly string[],
    readonly extraLabel: string,
    readonly bounds: readonly number[],
  ) {}

  /** The series of these label values (in labelNames' order): look it up once and keep it. */
  seriesOf(...values: string[]): Series {
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]));
      series = new Series(this, labels);
      this.series.set(key, series);
    }
    return series;
  }

  /** Registers the counter and the histogram in the registry, as prom-client's own would be. */
  register(registry: Registry): void {
    registry.registerMetric(this.counterMetric() as never);
    registry.registerMetric(this.histogramMetric() as never);
  }

  private counterMetric() {
    const { name, help } = this.names.counter;
    const data = (): MetricData => ({
      name,
      help,
      type: 'counter',
      values: this.counted.map(({ labels, count }) => ({ labels, value: count.value })),
      aggregator: 'sum',
    });
    return {
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async () => data(),
      reset: () => this.resetCounts(),
    };
  }

  private histogramMetric() {
    const { name, help } = this.names.histogram;
    // Registry.metrics() asks getForPromString (labels kept apart as sharedLabels); get() is the
    // JSON form, with them merged in, as prom-client's Histogram gives them
    const forPromString = (): MetricData => ({
      name,
      help,
      type: 'histogram',
      values: this.observed.flatMap((series) => this.histogramValues(series)),
      aggregator: 'sum',
    });
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      getForPromString: async () => forPromString(),
      get: async () => {
        const data = forPromString();
        data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
          ...rest,
          labels: { ...labels, ...sharedLabels },
        }));
        return data;
      },
      reset: () => this.resetObservations(),
    };
  }

  private histogramValues(series: Series): MetricValue[] {
    const bucket = `${this.names.histogram.name}_bucket`;
    const sharedLabels = series.labels as Record<string, string>;
    const values: MetricValue[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += series.bucketCounts[i];
      values.push({ labels: { le }, value: cumulative, metricName: bucket, exemplar: null, sharedLabels });
    });
    const { name } = this.names.histogram;
    values.push(
      { labels: { le: '+Inf' }, value: series.count, metricName: bucket, exemplar: null, sharedLabels },
      { labels: {}, value: series.sum, metricName: `${name}_sum`, exemplar: undefined, sharedLabels },
      { labels: {}, value: series.count, metricName: `${name}_count`, exemplar: undefined, sharedLabels },
    );
    return values;
  }

  /** As prom-client's reset(): every value gone, a label set reappears when counted again. */
  private resetCounts(): void {
    this.counted.length = 0;
    for (const series of this.series.values()) series.forgetCounts();
  }

  private resetObservations(): void {
    for (const series of this.observed) {
      series.bucketCounts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
    this.observed.length = 0;
  }
}
