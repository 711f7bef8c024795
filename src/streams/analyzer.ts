/**
 * Stream analysis: one tap per SSE response parses the forwarded bytes, finds sequence numbers
 * and records events, loss, duplicates, reordering, keep-alives and delay per stream kind,
 * transport and gateway. A fault throws out of the tap: the proxy's guard (proxy/taps.ts) counts
 * it in `analysis_errors_total{component="stream_tap"}`, logs it once, closes the tap (which
 * releases its trackers) and stops analysing that stream while its traffic keeps flowing.
 *
 * Each tap is an AnalysisTap (analysis-tap.ts); this module owns what they share, the sequence
 * trackers. Counts go to the gateway handles' batched series (src/gateways/counts.ts), flushed
 * once per chunk. The combined stream names its gateway per event (`ap`); it is resolved once per distinct
 * `ap` spelling per stream. When a reload retires the generation a tap started on, the tap moves
 * to the current one at its next chunk: gateways moved to another transport count under it.
 */
import type { GatewayHandle } from '../gateways/handle.js';
import type { GatewayState } from '../gateways/state.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StreamTap } from '../tap.js';
import type { StreamKind } from '../vocabulary.js';
import { AnalysisTap, type AnalysisGeneration, type TapContext } from './analysis-tap.js';
import { createTrackerStore, type TrackerStore } from './tracker.js';

export type { AnalysisGeneration } from './analysis-tap.js';

export interface StreamAnalyzerDeps {
  metrics: Metrics;
  state: GatewayState;
  /** The current generation (read at tap open, and again when the tap's generation retires). */
  generation: () => AnalysisGeneration;
  /** Reorder window: numbers (fixed for the process) and time (ms). */
  reorderWindow: number;
  reorderWindowTime: number;
  maxTrackedDevices: number;
  /** Clock in ms for trackers' time window; tests inject one. */
  now?: () => number;
  /** Tracker sweep period in ms (0 = no timer; tests call `sweep()`). */
  sweepInterval?: number;
}

export interface StreamAnalyzer {
  /**
   * A tap for one SSE response of `kind`, for the gateway the request named. `sequenceRequested`:
   * the proxy added `sequence=2` to the request, so the `seqNum`s it counts are the proxy's doing.
   */
  tap(kind: StreamKind, gateway: GatewayHandle, sequenceRequested?: boolean): StreamTap;
  /** New tracker limits (a reload); the reorder window in numbers needs a restart. */
  setLimits(limits: { reorderWindowTime: number; maxTrackedDevices: number }): void;
  /** The reorder window in numbers the trackers were built with. */
  readonly reorderWindow: number;
  /** Expires old pending gaps now (also runs on a timer). */
  sweep(): void;
  /** Sequence trackers currently held. */
  trackers(): number;
  close(): void;
}

export function createStreamAnalyzer(deps: StreamAnalyzerDeps): StreamAnalyzer {
  const { metrics, state } = deps;
  const store: TrackerStore = createTrackerStore({
    metrics,
    window: deps.reorderWindow,
    windowTime: deps.reorderWindowTime,
    maxTrackers: deps.maxTrackedDevices,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sweepInterval !== undefined ? { sweepInterval: deps.sweepInterval } : {}),
  });

  const context: TapContext = { metrics, state, store, generation: deps.generation };
  return {
    tap: (kind, gateway, sequenceRequested = false) => new AnalysisTap(context, kind, gateway, sequenceRequested),
    setLimits(limits) {
      store.setLimits({ windowTime: limits.reorderWindowTime, maxTrackers: limits.maxTrackedDevices });
    },
    reorderWindow: store.window,
    sweep: () => store.sweep(),
    trackers: () => store.size(),
    close() {
      store.close();
    },
  };
}
