/**
 * Reads the stream analyser's event counters from the metrics and feeds their increments to the
 * recorder, so the analyser needs no second recording path. Attribution in time is as coarse as
 * the polling interval (one bucket); attribution to transport is exact, because the counters
 * carry the transport label.
 */
import type { Metrics } from '../metrics/metrics.js';
import type { EventCounts, Recorder } from './recorder.js';

const KEYS = ['events', 'sequenced', 'missing', 'outOfOrder', 'duplicate'] as const;

interface CounterLike {
  get(): Promise<{ values: Array<{ value: number; labels: Partial<Record<string, string | number>> }> }>;
}

/** Polls the event counters; `poll()` is safe to call concurrently (calls are serialised). */
export interface EventPoller {
  poll(): Promise<void>;
}

/** Creates a poller remembering the last totals per gateway and transport. */
export function createEventPoller(metrics: Metrics, recorder: Recorder): EventPoller {
  const counters: Record<(typeof KEYS)[number], CounterLike> = {
    events: metrics.events,
    sequenced: metrics.eventsSequenced,
    missing: metrics.eventsMissing,
    outOfOrder: metrics.eventsOutOfOrder,
    duplicate: metrics.eventsDuplicate,
  };
  let previous = new Map<string, EventCounts>();
  let running: Promise<void> = Promise.resolve();

  async function pollOnce(): Promise<void> {
    const current = new Map<string, EventCounts>();
    for (const key of KEYS) {
      const { values } = await counters[key].get();
      for (const { value, labels } of values) {
        const id = `${String(labels.gateway ?? 'none')}\u0000${String(labels.transport ?? 'unknown')}`;
        let sums = current.get(id);
        if (sums === undefined) {
          sums = { events: 0, sequenced: 0, missing: 0, outOfOrder: 0, duplicate: 0 };
          current.set(id, sums);
        }
        sums[key] += value;
      }
    }
    for (const [id, sums] of current) {
      const before = previous.get(id);
      const delta: EventCounts = { events: 0, sequenced: 0, missing: 0, outOfOrder: 0, duplicate: 0 };
      let any = false;
      for (const key of KEYS) {
        const d = sums[key] - (before?.[key] ?? 0);
        // A series removed and re-created (gateway forgotten) restarts at 0: count it afresh.
        delta[key] = d >= 0 ? d : sums[key];
        if (delta[key] > 0) any = true;
      }
      if (!any) continue;
      const sep = id.indexOf('\u0000');
      recorder.recordEvents(id.slice(0, sep), id.slice(sep + 1), delta);
    }
    previous = current;
  }

  return {
    poll() {
      running = running.then(pollOnce, pollOnce);
      return running;
    },
  };
}
