/**
 * The per-(stream, transport, gateway) counters of the event metrics, with prom-client label
 * children resolved once and increments batched: the hot path adds to plain numbers and the
 * tap flushes once per chunk, which keeps prom-client off the per-event path.
 */
import type { Counter } from 'prom-client';
import type { StreamKind } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';

type Child = ReturnType<Counter<'stream' | 'transport' | 'gateway'>['labels']>;

/** Batched counters for one label set; `flush()` moves them into the registry. */
export interface StreamSeries {
  /** Normalised gateway MAC (for last-event bookkeeping), null for `none`. */
  readonly mac: string | null;
  events: number;
  missing: number;
  outOfOrder: number;
  duplicate: number;
  resets: number;
  sequenced: number;
  flush(): void;
}

/** Resolves the children for one label set; call sparingly (once per stream and gateway). */
export function createSeries(
  metrics: Metrics,
  stream: StreamKind,
  transport: string,
  gateway: string,
  mac: string | null,
): StreamSeries {
  const labels = { stream, transport, gateway };
  const c = {
    events: metrics.events.labels(labels),
    missing: metrics.eventsMissing.labels(labels),
    outOfOrder: metrics.eventsOutOfOrder.labels(labels),
    duplicate: metrics.eventsDuplicate.labels(labels),
    resets: metrics.sequenceResets.labels(labels),
    sequenced: metrics.eventsSequenced.labels(labels),
  };
  // Create every series at 0 so rate() and ratios work from the stream's first event.
  for (const child of Object.values(c)) child.inc(0);
  const add = (child: Child, n: number): void => {
    if (n > 0) child.inc(n);
  };
  const series: StreamSeries = {
    mac,
    events: 0,
    missing: 0,
    outOfOrder: 0,
    duplicate: 0,
    resets: 0,
    sequenced: 0,
    flush() {
      add(c.events, series.events);
      add(c.missing, series.missing);
      add(c.outOfOrder, series.outOfOrder);
      add(c.duplicate, series.duplicate);
      add(c.resets, series.resets);
      add(c.sequenced, series.sequenced);
      series.events = series.missing = series.outOfOrder = 0;
      series.duplicate = series.resets = series.sequenced = 0;
    },
  };
  return series;
}
