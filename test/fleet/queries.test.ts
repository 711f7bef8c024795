// The PromQL of the fleet report: how the selector is combined with each metric, the two exact
// count forms (steady proxies, and process segments of restarted ones), the activity queries and
// what bounds their cost. That the queries parse and count exactly against a real Prometheus is
// test/e2e/fleet-report.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_SAMPLE_BUDGET, activityFrom, activityQuery, activitySeriesQuery, activityStep, rawActivityQueries, ruleQueries,
} from '../../src/fleet/activity.js';
import {
  baseQueries, chartQuery, COUNTER_FAMILIES, DEFAULT_SELECTOR, labelMatchers, promDuration, promTime, restartedTargets, segmentCountQuery,
  SelectorError, selectorMatchers, steadyCountQuery, timelineQuery, vectorSelector,
} from '../../src/fleet/queries.js';

describe('selector', () => {
  it.each([
    ['{job="cassia-ac-proxy"}', 'job="cassia-ac-proxy"'],
    ['  { job=~"cassia-.*", namespace="iot" , }  ', 'job=~"cassia-.*", namespace="iot"'],
    ['{}', ''],
    ['', ''],
  ])('%j → matchers %j', (selector, matchers) => {
    expect(selectorMatchers(selector)).toBe(matchers);
  });

  it.each(['job="x"', 'up{job="x"}', '{job="x"'])('%j is not a selector in braces', (selector) => {
    expect(() => selectorMatchers(selector)).toThrow(SelectorError);
  });

  it('leaves the matchers to Prometheus (a bad one reaches it and its error is shown)', () => {
    expect(selectorMatchers('{job="a" instance="b"}')).toBe('job="a" instance="b"');
  });

  it('joins the metric, the selector and extra matchers', () => {
    expect(vectorSelector('m', 'job="a"', 'code="502"')).toBe('m{job="a",code="502"}');
    expect(vectorSelector('m', '', 'code="502"')).toBe('m{code="502"}');
    expect(vectorSelector('m', 'job="a"')).toBe('m{job="a"}');
    expect(vectorSelector('m', '')).toBe('m{}');
  });

  it('a target\'s labels become equality matchers, quoted as PromQL strings', () => {
    expect(labelMatchers({ __name__: 'x', instance: '10.0.0.1:9464', job: 'a"b\\c' })).toBe('instance="10.0.0.1:9464",job="a\\"b\\\\c"');
  });
});

describe('counts', () => {
  const family = COUNTER_FAMILIES.gatewayRequests;
  const v = 'cassia_proxy_gateway_requests_total{job="a"}';
  const s = 'cassia_proxy_process_start_time_seconds{job="a"}';

  it('steady proxies: value now minus value at the period start, the value now for a series born in it', () => {
    expect(steadyCountQuery(family, 'job="a"', 86_400, ['instance', 'job'])).toBe(
      'sum by (gateway, transport, code) (' +
        `(((${v} - ${v} offset 86400s) >= 0) or ${v})` +
        ` unless on (instance, job) (${s} unless (${s} == ${s} offset 86400s)))`,
    );
    expect(restartedTargets('job="a"', 900)).toBe(`(${s} unless (${s} == ${s} offset 900s))`);
  });

  it('without any start-time series every proxy is taken as steady', () => {
    expect(steadyCountQuery(family, 'job="a"', 600, [])).toBe(`sum by (gateway, transport, code) ((((${v} - ${v} offset 600s) >= 0) or ${v}))`);
  });

  it('restarted proxies: each process at its last scrape, minus its value at the period start when it ran then', () => {
    const target = { instance: 'h:1', job: 'a' };
    const t = 'cassia_proxy_gateway_requests_total{job="a",instance="h:1",job="a"}';
    expect(segmentCountQuery(family, 'job="a"', [
      { target, end: 1_000.5, baseline: 100 },
      { target, end: 2_000, baseline: null },
    ])).toBe(
      'sum by (gateway, transport, code) (' +
        `label_replace((((${t} @ 1000.500 - ${t} @ 100.000) >= 0) or ${t} @ 1000.500), "cassia_segment", "0", "", "")` +
        ` or label_replace(${t} @ 2000.000, "cassia_segment", "1", "", ""))`,
    );
  });

  it('the raw start times of the proxies named, regex-escaped', () => {
    expect(timelineQuery('job="a"', ['10.0.0.1:9464', 'b'], 86_700)).toBe(
      'cassia_proxy_process_start_time_seconds{job="a",instance=~"^(?:10\\\\.0\\\\.0\\\\.1:9464|b)$"}[86700s]',
    );
  });

  it('chart: the per-transport sum at every bucket end and one bucket before', () => {
    expect(chartQuery('m', 'job="a"', 900, 30, 'code="502"')).toBe('sum by (transport) (m{job="a",code="502"})[930s:30s]');
  });

  it('durations are whole seconds, at least 1; times are seconds to the millisecond', () => {
    expect([promDuration(0.2), promDuration(59.6), promDuration(3600)]).toEqual(['1s', '60s', '3600s']);
    expect(promTime(1_796_581_718.847)).toBe('1796581718.847');
  });
});

describe('activity', () => {
  it('raw: the steps in which a counter grew or appeared above 0', () => {
    const v = 'm{job="a"}';
    expect(activityQuery('min', ['m'], 'job="a"', 600, 1, ['gateway'])).toBe(
      `min by (gateway) (min_over_time(timestamp((${v} > ${v} offset 1s) or ((${v} unless ${v} offset 1s) > 0))[600s:1s]))`,
    );
    const both = rawActivityQueries('job="a"', 600, 5);
    expect(both.first).toMatch(/^min by \(gateway, transport, stream\) \(min_over_time\(.*cassia_proxy_gateway_requests_total.*cassia_proxy_events_total.*\[600s:5s\]\)\)$/);
    expect(both.last).toMatch(/^max by \(gateway, transport, stream\) \(max_over_time\(/);
  });

  it.each([
    // range, series → step: ~1000 steps while the budget allows, coarser when it does not
    [600, 24, 1],
    [86_400, 24, 87],
    [7 * 86_400, 24, 605],
    [86_400, 24_000, Math.ceil(86_400 / Math.floor(ACTIVITY_SAMPLE_BUDGET / (4 * 24_000)))],
    [86_400, 120_000, Math.ceil(86_400 / 5)],
    [600, 120_000, 120],
    [86_400, 10_000_000, 86_400],
  ])('range %d s over %d series: step %d s', (range, series, step) => {
    expect(activityStep(range, series)).toBe(step);
  });

  it('the step keeps a raw activity query within the sample budget (4 lookups per series and step)', () => {
    for (const series of [1, 100, 5_000, 24_000, 120_000, 600_000]) {
      for (const range of [600, 3600, 86_400, 604_800]) {
        const steps = Math.ceil(range / activityStep(range, series));
        if (steps > 1) expect(steps * series * 4, `${series} series, ${range} s`).toBeLessThanOrEqual(ACTIVITY_SAMPLE_BUDGET);
      }
    }
  });

  it('answers → times per segment: raw rows by stream (events make the latest event), rules rows apart', () => {
    const row = (metric: Record<string, string>, value: number) => ({ metric, value });
    const raw = activityFrom(
      [row({ gateway: 'G', transport: 'capwap' }, 10), row({ gateway: 'G', transport: 'capwap', stream: 'scan' }, 5)],
      [row({ gateway: 'G', transport: 'capwap' }, 30), row({ gateway: 'G', transport: 'capwap', stream: 'scan' }, 20)],
      null,
    );
    expect([...raw.first.values(), ...raw.last.values(), ...raw.lastEvent.entries()]).toEqual([5000, 30_000, ['G', 20_000]]);
    const rules = activityFrom([row({ gateway: 'G', transport: 'mqtt' }, 7)], [row({ gateway: 'G', transport: 'mqtt' }, 9)], [row({ gateway: 'G' }, 8)]);
    expect([...rules.first.values(), ...rules.last.values(), ...rules.lastEvent.entries()]).toEqual([7000, 9000, ['G', 8000]]);
  });

  it('rules: one sample per gateway and transport; how many raw series there are', () => {
    expect(ruleQueries('job="a"')).toEqual({
      since: 'max(job:cassia_proxy_fleet_rules:since_timestamp_seconds{job="a"})',
      first: 'min by (gateway, transport) (job_gateway_transport:cassia_proxy_active:first_timestamp_seconds{job="a"})',
      last: 'max by (gateway, transport) (job_gateway_transport:cassia_proxy_active:last_timestamp_seconds{job="a"})',
      lastEvent: 'max by (gateway) (job_gateway_transport:cassia_proxy_events:last_timestamp_seconds{job="a"})',
    });
    expect(activitySeriesQuery('job="a"')).toBe('count({job="a",__name__=~"cassia_proxy_gateway_requests_total|cassia_proxy_events_total"})');
  });
});

describe('the queries of one report', () => {
  const q = baseQueries('{namespace="iot"}', 86_400, 900, 30);
  const counts = Object.values(COUNTER_FAMILIES).flatMap((f) => [
    steadyCountQuery(f, 'namespace="iot"', 86_400, ['instance', 'job']),
    segmentCountQuery(f, 'namespace="iot"', [{ target: { instance: 'x', job: 'y' }, end: 2, baseline: 1 }]),
  ]);
  const rules = Object.values(ruleQueries('namespace="iot"'));
  const all = [
    q.proxies, q.present, q.startSeries, q.startNow, q.startAtRange, q.startAtWindow, q.gatewayInfo, q.gatewayOnline, ...Object.values(q.charts),
    ...counts, ...rules, activitySeriesQuery('namespace="iot"'), timelineQuery('namespace="iot"', ['x'], 600),
    ...Object.values(rawActivityQueries('namespace="iot"', 86_400, 60)),
  ];

  it('every query is limited by the selector', () => {
    for (const text of all) {
      const selectors = text.match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length, text).toBeGreaterThan(0);
      for (const sel of selectors) expect(sel, text).toContain('namespace="iot"');
    }
  });

  it('no query reads a range: which proxies ran in it comes from the series API (the index), counts from instant lookups', () => {
    for (const text of [...counts, ...rules, q.gatewayInfo, q.gatewayOnline, q.proxies, q.startSeries, q.startNow, q.startAtRange]) {
      expect(text, text).not.toMatch(/\[\d+s(:\d+s)?\]/);
    }
    expect(q.startSeries).toBe('cassia_proxy_process_start_time_seconds{namespace="iot"}');
    expect(q.proxies).toBe('cassia_proxy_build_info{namespace="iot"}');
  });

  it('one family per row: the by-labels each is summed by', () => {
    expect(Object.fromEntries(Object.entries(COUNTER_FAMILIES).map(([n, f]) => [n, f.by.join(',')]))).toEqual({
      gatewayRequests: 'gateway,transport,code', gatewayErrors: 'gateway,transport,code,origin', events: 'gateway,transport',
      sequenced: 'gateway,transport', missing: 'gateway,transport', outOfOrder: 'gateway,transport', duplicate: 'gateway,transport',
      transportRequests: 'transport,code,origin', latency: 'transport,le',
    });
  });

  it('the default selector is the scrape job of the shipped Prometheus config', () => {
    expect(DEFAULT_SELECTOR).toBe('{job="cassia-ac-proxy"}');
    expect(baseQueries(DEFAULT_SELECTOR, 3600, 900, 30).proxies).toBe('cassia_proxy_build_info{job="cassia-ac-proxy"}');
  });
});
