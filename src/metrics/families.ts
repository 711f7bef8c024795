/**
 * Metric families for the hot path: every label set is a plain "cell" object that the proxy adds
 * to directly (`cell.value += 1`), and prom-client reads the cells only when it is scraped.
 *
 * Why not prom-client's own Counter/Histogram here: its `labels()` children hash the label object
 * on every `inc()`/`observe()` and allocate (~1 KB per request for the request metrics), whereas a
 * cell resolved once and cached by its caller costs a property write. The families implement the
 * part of prom-client's metric interface its Registry uses (`name`, `help`, `type`, `get()`,
 * `reset()`), so the exposition, OpenMetrics conversion and every reader of the registry stay
 * prom-client's.
 */
import type { Registry } from 'prom-client';
import { createLabelTree } from './label-tree.js';

/** One counter or gauge series. */
export interface ValueCell {
  value: number;
}

/** One histogram series: per-bucket (non-cumulative) counts, the last one being +Inf. */
export interface HistogramCell {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

type Labels<L extends string> = Record<L, string>;

interface Entry<L extends string, C> {
  labels: Labels<L>;
  cell: C;
}

/** What prom-client's Registry reads from a metric (a subset of its MetricObjectWithValues). */
interface Exported {
  name: string;
  help: string;
  type: string;
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

abstract class Family<L extends string, C> {
  /** Every series, in the order it was created (the exposition's order). */
  private readonly entries = new Set<Entry<L, C>>();
  private readonly index = createLabelTree((...values: string[]): Entry<L, C> => {
    const labels = {} as Labels<L>;
    this.labelNames.forEach((name, i) => { labels[name] = values[i] as string; });
    const entry = { labels, cell: this.create() };
    this.entries.add(entry);
    return entry;
  });

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    // prom-client has no public interface for a metric it did not make: its Registry's type names
    // its own classes, and it reads only the members above. test/metrics/exposition.test.ts pins
    // that (the output must equal prom-client's own for the same values) and the major version.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected abstract create(): C;

  /**
   * The cell for these label values (in `labelNames` order), created at zero on first use. Not
   * for per-event use: callers resolve a cell once and keep it.
   */
  cell(...values: string[]): C {
    this.check(values);
    return this.index.get(...values).cell;
  }

  /** Drops a series (a forgotten gateway). A cell still held by a caller no longer exports. */
  remove(...values: string[]): void {
    this.check(values);
    const entry = this.index.delete(...values);
    if (entry !== undefined) this.entries.delete(entry);
  }

  /** Drops every series (prom-client's `registry.resetMetrics()` calls this). */
  reset(): void {
    this.index.clear();
    this.entries.clear();
  }

  private check(values: readonly string[]): void {
    if (values.length !== this.labelNames.length || values.length > 6) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values (at most 6), got ${values.length}`);
    }
  }

  protected each(): IterableIterator<Entry<L, C>> {
    return this.entries.values();
  }
}

abstract class ValueFamily<L extends string> extends Family<L, ValueCell> {
  abstract readonly type: 'counter' | 'gauge';

  protected create(): ValueCell {
    return { value: 0 };
  }

  get(): Promise<Exported> {
    const values: Exported['values'] = [];
    for (const { labels, cell } of this.each()) values.push({ labels, value: cell.value });
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }
}

/** A counter family; cells only ever grow. */
export class CounterFamily<L extends string> extends ValueFamily<L> {
  readonly type = 'counter';
}

/** A gauge family; cells go up and down. */
export class GaugeFamily<L extends string> extends ValueFamily<L> {
  readonly type = 'gauge';
}

/** A histogram family with fixed upper bounds (seconds). */
export class HistogramFamily<L extends string> extends Family<L, HistogramCell> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly L[], readonly bounds: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected create(): HistogramCell {
    return { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  /** Records one observation into `cell` (linear scan: a dozen bounds). */
  observe(cell: HistogramCell, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    cell.counts[i] = (cell.counts[i] ?? 0) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  get(): Promise<Exported> {
    const values: Exported['values'] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, cell } of this.each()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += cell.counts[i] ?? 0;
        values.push({ labels: { le: i < this.bounds.length ? (this.bounds[i] as number) : '+Inf', ...labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }
}
