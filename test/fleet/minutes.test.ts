// The before/after minutes of the fleet report: which queries are asked for the gateways that
// changed transport (split so that none loads more than the budget), and the minutes built from
// their answers as the running proxy tallies them.
import { describe, expect, it } from 'vitest';
import type { RangeSeries } from '../../src/fleet/client.js';
import { changeBucketFor, changeMinutes, changeSpan, MINUTE_FAMILIES, minuteQuery, minuteSeriesSelector, planMinuteQueries } from '../../src/fleet/minutes.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const C = 'CC:1B:E0:E0:00:03';
const REQ = MINUTE_FAMILIES.requests.metric;
const series = (name: string, gateway: string, n: number): Array<Record<string, string>> =>
  Array.from({ length: n }, (_, i) => ({ __name__: name, gateway, instance: `p${i}` }));

describe('minute queries', () => {
  it('one subquery per family over the range at one step per bucket, for the named gateways only, under the selector', () => {
    const q = minuteQuery(REQ, 'job="x"', [A, B], 3600, 60, ['gateway', 'transport', 'code']);
    // The range and one bucket before it, so that the first bucket has a base.
    expect(q).toBe(`sum by (gateway, transport, code) (cassia_proxy_gateway_requests_total{job="x",gateway=~"${A}|${B}"})[3660s:60s]`);
    expect(minuteSeriesSelector('job="x"', [A])).toBe(
      `{job="x",__name__=~"${Object.values(MINUTE_FAMILIES).map((f) => f.metric).join('|')}",gateway=~"${A}"}`,
    );
  });

  const DAY = new Map([[A, 86_400], [B, 86_400], [C, 86_400]]);

  it('families without series of the changed gateways are not asked', () => {
    const plan = planMinuteQueries('', series(REQ, A, 4), new Map([[A, 86_400]]), 60);
    expect(plan.map((p) => p.family)).toEqual(['requests']);
    // 4 series × 1 sample × 1,441 steps.
    expect(plan[0]?.samples).toBe(4 * 1441);
  });

  it.each<[string, number, number]>([
    ['a move 10 minutes ago: the last hour', 600, 3600],
    ['50 minutes ago: 40 more minutes before it would fit in 2 hours', 3000, 7200],
    ['3 hours ago: as long before it, within 8 hours', 3 * 3600, 8 * 3600],
    ['16 hours ago in a day: the whole day', 16 * 3600, 86_400],
  ])('look-back of %s', (_, since, span) => {
    expect(changeSpan(since, 86_400)).toBe(span);
    // Never beyond the range; always the time since the move and at least as long (or 30 minutes) before it, within the range.
    expect(changeSpan(since, 1800)).toBe(1800);
    expect(span).toBeGreaterThanOrEqual(Math.min(86_400, since + Math.max(since, 1800)));
  });

  it('gateways moved at different times are asked with their own look-back and bucket, the shortest first', () => {
    const rows = [...series(REQ, A, 2), ...series(REQ, B, 2)];
    const plan = planMinuteQueries('', rows, new Map([[A, 86_400], [B, 3600]]), null);
    expect(plan.map((p) => [p.gateways, p.spanSeconds, p.bucketSeconds, p.samples])).toEqual([[[B], 3600, 60, 2 * 61], [[A], 86_400, 240, 2 * 361]]);
    expect(plan[1]?.query).toBe(`sum by (gateway, transport, code) (cassia_proxy_gateway_requests_total{gateway=~"${A}"})[86640s:240s]`);
    // An explicit --change-bucket holds for every look-back.
    expect(planMinuteQueries('', rows, new Map([[A, 86_400], [B, 3600]]), 60).map((p) => p.bucketSeconds)).toEqual([60, 60]);
  });

  it.each<[string, number, string[][]]>([
    ['all in one query within the budget', 100_000, [[A, B, C]]],
    ['split where the next gateway would pass the budget', 60_000, [[A], [B, C]]],
    ['a gateway over the budget alone gets its own query', 14_000, [[A], [B], [C]]],
  ])('%s', (_, budget, groups) => {
    // A: 40 series, B and C: 10 each; a day at 1m: 1,441 samples per series.
    const rows = [...series(REQ, A, 40), ...series(REQ, B, 10), ...series(REQ, C, 10)];
    const plan = planMinuteQueries('', rows, DAY, 60, budget);
    expect(plan.map((p) => p.gateways)).toEqual(groups);
    for (const p of plan) expect(p.samples <= budget || p.gateways.length === 1).toBe(true);
  });

  it.each([[600, 60], [6 * 3600, 60], [6 * 3600 + 1, 120], [86_400, 240], [7 * 86_400, 1680]])('the default bucket for a %d s look-back is %d s', (span, bucket) => {
    expect(changeBucketFor(span)).toBe(bucket);
    // At most 361 steps per series, whatever the look-back beyond 6 hours.
    expect(Math.ceil(span / bucket) + 1).toBeLessThanOrEqual(361);
  });

  it('a wider bucket costs proportionally less', () => {
    const rows = series(REQ, A, 10);
    const [m1] = planMinuteQueries('', rows, new Map([[A, 86_400]]), 60);
    const [m5] = planMinuteQueries('', rows, new Map([[A, 86_400]]), 300);
    expect((m1?.samples ?? 0) / (m5?.samples ?? 1)).toBeCloseTo(1441 / 289, 9);
  });
});

describe('minutes from the answers', () => {
  const rs = (metric: Record<string, string>, values: Array<[number, number]>): RangeSeries => ({ metric, values });
  // Sums at each minute boundary of a look-back of 2 minutes (3 steps and the base before them):
  // the subquery's first step (0 in the first test, evaluated at 180) is only the base.
  const ONE_MINUTE = { spanSeconds: 120, bucketSeconds: 60 };
  it('502/504 outside outages among answered calls, loss among sequenced and missing, failed probes among those that reached the AC', () => {
    const minutes = changeMinutes([
      { family: 'requests', ...ONE_MINUTE, rows: [
        rs({ gateway: A, transport: 'capwap', code: '200' }, [[0, 100], [60, 108], [120, 118]]),
        rs({ gateway: A, transport: 'capwap', code: '502' }, [[0, 7], [60, 9], [120, 12]]),
        // Born within the minute at 120: counts whole.
        rs({ gateway: A, transport: 'capwap', code: '499' }, [[120, 1]]),
      ] },
      { family: 'outage', ...ONE_MINUTE, rows: [rs({ gateway: A, transport: 'capwap' }, [[0, 5], [60, 5], [120, 7]])] },
      { family: 'sequenced', ...ONE_MINUTE, rows: [rs({ gateway: A, transport: 'mqtt' }, [[120, 0], [180, 9]])] },
      { family: 'missing', ...ONE_MINUTE, rows: [rs({ gateway: A, transport: 'mqtt' }, [[180, 1]])] },
      { family: 'probes', ...ONE_MINUTE, rows: [
        rs({ gateway: A, transport: 'mqtt', result: 'ok' }, [[180, 3]]),
        rs({ gateway: A, transport: 'mqtt', result: 'timeout' }, [[180, 1]]),
        rs({ gateway: A, transport: 'mqtt', result: 'unreachable' }, [[180, 5]]),
      ] },
    ], 180);
    // Minute 60: 2 of 10; minute 120: 3 − 2 outage of 14 − 1 abort − 2 outage = 11.
    expect(minutes.get(`${A}\u0000capwap`)?.errors).toEqual({ buckets: 2, k: 3, n: 21, kkn: 4 / 10 + 1 / 11 });
    expect(minutes.get(`${A}\u0000mqtt`)?.loss).toEqual({ buckets: 1, k: 1, n: 10, kkn: 1 / 10 });
    expect(minutes.get(`${A}\u0000mqtt`)?.probes).toEqual({ buckets: 1, k: 1, n: 4, kkn: 1 / 4 });
    expect(minutes.get(`${A}\u0000mqtt`)?.errors).toBeUndefined();
  });

  it('a minute in which a sum fell (a proxy restarted) is left out of every measure of the segment; the first step is only the base', () => {
    const minutes = changeMinutes([
      { family: 'requests', ...ONE_MINUTE, rows: [
        rs({ gateway: B, transport: 'capwap', code: '200' }, [[600, 50], [660, 60], [720, 64], [780, 70]]),
        rs({ gateway: B, transport: 'capwap', code: '502' }, [[600, 5], [660, 6], [720, 2], [780, 3]]),
      ] },
    ], 780);
    // 660: 1 of 11; 720: the 502 sum fell, left out; 780: 1 of 7.
    expect(minutes.get(`${B}\u0000capwap`)?.errors).toEqual({ buckets: 2, k: 2, n: 18, kkn: 1 / 11 + 1 / 7 });
  });
});
