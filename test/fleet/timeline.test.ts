// Which proxies the cheap count form covers, and the process segments of the others: from the
// answers about process_start_time_seconds, one series per proxy. Pure and table-driven; the same
// logic against a real Prometheus and a proxy restarted mid-range is test/e2e/fleet-report.test.ts.
import { describe, expect, it } from 'vitest';
import type { InstantSample, RangeSeries } from '../../src/fleet/client.js';
import { instantsOf, LOOKBACK_SECONDS, planTargets, processesOf, segmentTerms, targetOf, timelines, type Lookups } from '../../src/fleet/timeline.js';

const A = { __name__: 'cassia_proxy_process_start_time_seconds', instance: 'a:9464', job: 'p' };
const B = { ...A, instance: 'b:9464' };
const C = { ...A, instance: 'c:9464' };
const row = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value });

describe('targets', () => {
  it('a target is its labels without the metric name, the same key whatever the order', () => {
    const t = targetOf(A);
    expect(t.labels).toEqual({ instance: 'a:9464', job: 'p' });
    expect(targetOf({ job: 'p', instance: 'a:9464' }).key).toBe(t.key);
  });
});

describe('processes', () => {
  it.each<[string, Array<[number, number]>, Array<{ start: number; times: number[] }>]>([
    ['none', [], []],
    ['one process', [[10, 5], [25, 5], [40, 5]], [{ start: 5, times: [10, 25, 40] }]],
    ['a restart', [[10, 5], [25, 5], [41, 38], [55, 38]], [{ start: 5, times: [10, 25] }, { start: 38, times: [41, 55] }]],
    ['two restarts and a gap', [[10, 5], [30, 20], [400, 20], [900, 800]],
      [{ start: 5, times: [10] }, { start: 20, times: [30, 400] }, { start: 800, times: [900] }]],
  ])('%s', (_, values, expected) => {
    expect(processesOf(values)).toEqual(expected);
  });
});

describe('segment terms of one proxy in a period from 1000 to 2000', () => {
  const target = targetOf(A);
  type P = Array<{ start: number; times: number[] }>;
  it.each<[string, P, Lookups, Array<{ end: number; baseline: number | null }>]>([
    ['ran through, found at both ends: the period\'s instants', [{ start: 1, times: [985, 1000, 1015, 1990] }], { now: 1, atStart: 1 }, [{ end: 2000, baseline: 1000 }]],
    ['ran through, a failed scrape before the start: from its last sample within the lookback', [{ start: 1, times: [985, 1015, 1990] }], { now: 1 }, [{ end: 2000, baseline: 985 }]],
    ['restarted inside: the old process from the start to its last sample, the new one from 0', [
      { start: 1, times: [990, 1005, 1500] }, { start: 1510, times: [1512, 1990] },
    ], { now: 1510, atStart: 1 }, [{ end: 1500, baseline: 1000 }, { end: 2000, baseline: null }]],
    ['started inside', [{ start: 1200, times: [1201, 1990] }], { now: 1200 }, [{ end: 2000, baseline: null }]],
    ['stopped inside: its last sample, not the end', [{ start: 1, times: [995, 1010, 1400] }], { atStart: 1 }, [{ end: 1400, baseline: 1000 }]],
    ['ended before the start (still found by the lookup) adds nothing', [
      { start: 1, times: [900, 1000] }, { start: 1001, times: [1003, 1990] },
    ], { now: 1001, atStart: 1 }, [{ end: 2000, baseline: null }]],
    ['a sample older than the lookback is no baseline', [{ start: 1, times: [1000 - LOOKBACK_SECONDS, 1100] }], {}, [{ end: 1100, baseline: null }]],
    ['the last sample within the lookback is the baseline', [{ start: 1, times: [1000 - LOOKBACK_SECONDS + 1, 960, 1100] }], {}, [{ end: 1100, baseline: 960 }]],
  ])('%s', (_, processes, found, expected) => {
    expect(segmentTerms(target, processes, 1000, 2000, found)).toEqual(expected.map((e) => ({ target: target.labels, ...e })));
  });

  it('terms of many proxies share instants: ends added, starts subtracted', () => {
    const b = targetOf(B).labels;
    const instants = instantsOf([
      { target: target.labels, end: 2000, baseline: 1000 }, { target: b, end: 2000, baseline: null }, { target: b, end: 1500, baseline: 1000 },
    ]);
    expect([...instants.entries()]).toEqual([[2000, { plus: [target.labels, b], minus: [] }], [1000, { plus: [], minus: [target.labels, b] }], [1500, { plus: [b], minus: [] }]]);
  });
});

describe('plan', () => {
  // A ran one process throughout; B restarted within the window; C stopped within the range.
  const seen = [A, B, C];
  const now = [row(A, 1), row(B, 50)];
  const atRange = [row(A, 1), row(B, 3), row(C, 2)];
  const atWindow = [row(A, 1), row(B, 3)];
  const plan = planTargets(seen, now, atRange, atWindow);
  const instances = (p: { timeline: Array<{ labels: Record<string, string> }> }) => p.timeline.map((t) => t.labels.instance);

  it('the sums cover proxies with one start time now and at both periods\' start; the others are read raw', () => {
    expect(instances(plan)).toEqual(['b:9464', 'c:9464']);
    expect(plan.lookups(targetOf(B).key, 'range')).toEqual({ now: 50, atStart: 3 });
    expect(plan.lookups(targetOf(C).key, 'window')).toEqual({ now: undefined, atStart: undefined });
  });

  it('steady through the range but not found at the window start (a scrape gap): read raw too', () => {
    expect(instances(planTargets([A], [row(A, 1)], [row(A, 1)], []))).toEqual(['a:9464']);
  });

  it('a proxy found only at a period\'s start (gone since, absent from the series answer) is read raw', () => {
    expect(instances(planTargets([A], [row(A, 1)], [row(A, 1), row(C, 2)], [row(A, 1)]))).toEqual(['c:9464']);
  });

  it('a steady proxy that shares an instance value with a restarted one is read raw with it (the sums leave out by instance)', () => {
    const other = { ...B, cluster: 'eu-2' };
    const p = planTargets([A, B, other], [row(A, 1), row(B, 50), row(other, 7)], [row(A, 1), row(B, 3), row(other, 7)], [row(A, 1), row(B, 3), row(other, 7)]);
    expect(p.timeline.map((t) => t.labels)).toEqual([targetOf(B).labels, targetOf(other).labels]);
  });

  it('timelines keep the wanted proxies only', () => {
    const series: RangeSeries[] = [
      { metric: A, values: [[10, 1]] },
      { metric: B, values: [[10, 3], [20, 50]] },
      { metric: { ...B, cluster: 'other' }, values: [[10, 9]] },
    ];
    const lines = timelines(series, plan.timeline);
    expect([...lines.values()].map((l) => [l.target.labels.instance, l.processes.map((p) => p.start)])).toEqual([['b:9464', [3, 50]]]);
  });
});
