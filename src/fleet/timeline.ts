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

/** What instant lookups found for a proxy: its start time now, and at the period's start (unix s values). */
export interface Lookups {
  now?: number;
  atStart?: number;
}

/**
 * The segment terms of one proxy's processes for the period from `periodStart` to `end` (unix s).
 * A process whose last sample is at or before the start adds nothing. One that an instant lookup
 * finds at the start (or, after a failed scrape, has a sample within the lookback before it)
 * counts from there; one without counts from 0 (it started within the period). Times an instant
 * lookup would find anyway are given as the period's start and end, so that the terms of many
 * proxies share a few instants.
 */
export function segmentTerms(target: Target, processes: readonly ProxyProcess[], periodStart: number, end: number, found: Lookups = {}): SegmentTerm[] {
  const terms: SegmentTerm[] = [];
  processes.forEach((p, i) => {
    const last = p.times[p.times.length - 1];
    if (last === undefined || last <= periodStart) return;
    let baseline: number | null = found.atStart === p.start ? periodStart : null;
    if (baseline === null) {
      for (const t of p.times) {
        if (t > periodStart) break;
        if (t > periodStart - LOOKBACK_SECONDS) baseline = t;
      }
    }
    const running = i === processes.length - 1 && found.now === p.start;
    terms.push({ target: target.labels, end: running ? end : last, baseline });
  });
  return terms;
}

/**
 * The instants at which the terms read their proxies: at each, the proxies whose values are added
 * (`plus`, the ends of processes) and subtracted (`minus`, the values at the period's start).
 */
export function instantsOf(terms: readonly SegmentTerm[]): Map<number, { plus: Array<SegmentTerm['target']>; minus: Array<SegmentTerm['target']> }> {
  const out = new Map<number, { plus: Array<SegmentTerm['target']>; minus: Array<SegmentTerm['target']> }>();
  const at = (t: number) => {
    let e = out.get(t);
    if (e === undefined) out.set(t, (e = { plus: [], minus: [] }));
    return e;
  };
  for (const term of terms) {
    at(term.end).plus.push(term.target);
    if (term.baseline !== null) at(term.baseline).minus.push(term.target);
  }
  return out;
}

/** What the instant answers about start times say, before any raw sample is read. */
export interface TargetPlan {
  /**
   * Proxies counted process by process, from their raw start times: those that did not run one
   * process through the range and the window, and any that shares an `instance` value with one
   * (the sums leave them out by that label).
   */
  timeline: Target[];
  /** What the instant lookups found for a proxy at the end and at the start of the range or window. */
  lookups(key: string, period: 'range' | 'window'): Lookups;
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
  return {
    timeline: [...targets.values()].filter((t) => !steady(t.key) || instances.has(t.labels.instance)),
    lookups: (key, period) => ({ now: nowBy.get(key), atStart: (period === 'range' ? rangeBy : windowBy).get(key) }),
  };
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
