/**
 * Which proxies ran one process through a period, and the processes of those that did not: pure
 * functions over the answers about `process_start_time_seconds`, one series per proxy.
 *
 * A proxy whose start time is the same now and at the period's start ran one process throughout,
 * so its counters never went back and the cheap count form is exact for it. Every other proxy seen
 * in the range (restarted, started or stopped within it) is read as a list of processes — runs of
 * one start-time value in its raw samples — and each process becomes a segment term: its values at
 * its last scrape in the period, minus its values at the period's start when it was running then.
 */
import type { InstantSample, RangeSeries } from './client.js';
import type { SegmentTerm } from './queries.js';

/** How far back an instant lookup finds a sample: Prometheus' default `--query.lookback-delta`. */
export const LOOKBACK_SECONDS = 300;

/** A proxy (scrape target) by its labels, without the metric name. */
export interface Target {
  key: string;
  labels: Record<string, string>;
}

/** One process of a proxy: its start-time value and the times (unix s) of its samples, ascending. */
export interface ProxyProcess {
  start: number;
  times: number[];
}

/** A stable key for a label set (metric name left out). */
export function targetOf(metric: Readonly<Record<string, string>>): Target {
  const labels: Record<string, string> = {};
  for (const name of Object.keys(metric).sort()) if (name !== '__name__') labels[name] = metric[name] as string;
  return { key: JSON.stringify(labels), labels };
}

/** The processes in a start-time series: runs of equal values (a start time never repeats). */
export function processesOf(values: ReadonlyArray<readonly [number, number]>): ProxyProcess[] {
  const out: ProxyProcess[] = [];
  for (const [t, v] of values) {
    const last = out[out.length - 1];
    if (last !== undefined && last.start === v) last.times.push(t);
    else out.push({ start: v, times: [t] });
  }
  return out;
}

/**
 * The segment terms of one proxy's processes for the period starting at `periodStart` (unix s).
 * A process whose last sample is at or before the start adds nothing; one with a sample within the
 * lookback before the start counts from that sample (what an `offset` lookup would find), one
 * without counts from 0 (it started within the period).
 */
export function segmentTerms(target: Target, processes: readonly ProxyProcess[], periodStart: number): SegmentTerm[] {
  const terms: SegmentTerm[] = [];
  for (const p of processes) {
    const last = p.times[p.times.length - 1];
    if (last === undefined || last <= periodStart) continue;
    let baseline: number | null = null;
    for (const t of p.times) {
      if (t > periodStart) break;
      if (t > periodStart - LOOKBACK_SECONDS) baseline = t;
    }
    terms.push({ target: target.labels, end: last, baseline });
  }
  return terms;
}

/** What the instant answers about start times say, before any raw sample is read. */
export interface TargetPlan {
  /**
   * Proxies counted process by process, from their raw start times: those that did not run one
   * process through the range and the window, and any that shares an `instance` value with one
   * (the sums leave them out by that label).
   */
  timeline: Target[];
}

/**
 * Plans from the start-time series with samples in the range (their label sets, from
 * /api/v1/series), and the start times now and at the start of the range and of the window
 * (instant queries at those times). A proxy whose start time is the same at all three ran one
 * process throughout: the sums cover it.
 */
export function planTargets(
  seen: ReadonlyArray<Readonly<Record<string, string>>>, now: readonly InstantSample[], atRange: readonly InstantSample[], atWindow: readonly InstantSample[],
): TargetPlan {
  const values = (rows: readonly InstantSample[]): Map<string, number> => new Map(rows.map((r) => [targetOf(r.metric).key, r.value]));
  const nowBy = values(now);
  const rangeBy = values(atRange);
  const windowBy = values(atWindow);
  const steady = (key: string): boolean => nowBy.has(key) && rangeBy.get(key) === nowBy.get(key) && windowBy.get(key) === nowBy.get(key);
  const targets = new Map<string, Target>();
  // A proxy found at a period's start but gone since is one to read process by process too.
  for (const metric of [...seen, ...[...now, ...atRange, ...atWindow].map((r) => r.metric)]) {
    const target = targetOf(metric);
    targets.set(target.key, target);
  }
  const moving = [...targets.values()].filter((t) => !steady(t.key));
  const instances = new Set(moving.map((t) => t.labels.instance));
  return { timeline: [...targets.values()].filter((t) => !steady(t.key) || instances.has(t.labels.instance)) };
}

/** The processes of each proxy in the raw answer, for the targets asked for. */
export function timelines(series: readonly RangeSeries[], wanted: readonly Target[]): Map<string, { target: Target; processes: ProxyProcess[] }> {
  const keys = new Set(wanted.map((t) => t.key));
  const out = new Map<string, { target: Target; processes: ProxyProcess[] }>();
  for (const s of series) {
    const target = targetOf(s.metric);
    if (keys.has(target.key)) out.set(target.key, { target, processes: processesOf(s.values) });
  }
  return out;
}
