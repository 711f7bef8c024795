// The PromQL of the fleet report: how the selector is combined with each metric, the two exact
// count forms (sums at instants for steady proxies, process segments of restarted ones), the
// activity queries and what bounds their cost. That the queries parse and count exactly against a real Prometheus is
// test/e2e/fleet-report.test.ts.
import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_LOOKUP_BUDGET, activityFromCheckpoints, activityFromRules, activitySeriesQuery, checkpointCount, checkpointQuery, checkpointTimes, ruleQueries,
} from '../../src/fleet/activity.js';
import {
  baseQueries, chartQuery, COUNTER_FAMILIES, DEFAULT_SELECTOR, excludeInstances, labelMatchers, promDuration, targetSumsQuery,
  SelectorError, selectorMatchers, sumsQuery, timelineQuery, vectorSelector,
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
  const names = '__name__=~"' + Object.values(COUNTER_FAMILIES).map((f) => f.metric).join('|') + '"';
  const by = '__name__, gateway, transport, code, origin, error, le, result';

  it('every family at one instant, summed by the metric name and every family\'s labels', () => {
    expect(sumsQuery('job="a"', [])).toBe(`sum by (${by}) ({job="a",${names}})`);
  });

  it('leaves out the proxies counted process by process, by instance (regex-escaped)', () => {
    expect(sumsQuery('job="a"', ['10.0.0.1:9464', 'b'])).toContain(`{job="a",${names},instance!~"^(?:10\\\\.0\\\\.0\\\\.1:9464|b)$"}`);
    expect(excludeInstances([])).toBe('');
  });

  it('restarted proxies: the same sums over the named proxies, each by all its labels', () => {
    expect(targetSumsQuery('job="a"', [{ instance: 'h:1', job: 'a' }, { instance: 'h:2', job: 'a', cluster: 'x"y' }])).toBe(
      `sum by (${by}) ({job="a",${names},instance="h:1",job="a"} or {job="a",${names},instance="h:2",job="a",cluster="x\\"y"})`,
    );
  });

  it('the raw start times of the proxies named, regex-escaped', () => {
    expect(timelineQuery('job="a"', ['10.0.0.1:9464', 'b'], 86_700)).toBe(
      'cassia_proxy_process_start_time_seconds{job="a",instance=~"^(?:10\\\\.0\\\\.0\\\\.1:9464|b)$"}[86700s]',
    );
  });

  it('chart: the per-transport sums at every bucket end and one bucket before', () => {
    expect(chartQuery(['m', 'n'], 'job="a"', 900, 30, 'code="502"')).toBe('sum by (__name__, transport) ({job="a",__name__=~"m|n",code="502"})[930s:30s]');
  });

  it('durations are whole seconds, at least 1', () => {
    expect([promDuration(0.2), promDuration(59.6), promDuration(3600)]).toEqual(['1s', '60s', '3600s']);
  });
});

describe('activity', () => {
  it.each([
    // series → checkpoint intervals: as many as 600,000 lookups allow, 4 to 24
    [100, 24],
    [18_000, 24],
    [25_000, 23],
    [100_000, 5],
    [180_000, 4],
    [10_000_000, 4],
  ])('%d series: %d intervals', (series, intervals) => {
    expect(checkpointCount(series)).toBe(intervals);
    if (intervals > 4) expect((intervals + 1) * series).toBeLessThanOrEqual(ACTIVITY_LOOKUP_BUDGET);
  });

  it('checkpoints from the range start to its end', () => {
    expect(checkpointTimes(10_000, 8, 4)).toEqual([2000, 4000, 6000, 8000, 10_000]);
    expect(checkpointQuery('job="a"')).toBe('sum by (__name__, gateway, transport) ({job="a",__name__=~"cassia_proxy_gateway_requests_total|cassia_proxy_events_total|cassia_proxy_probes_total|cassia_proxy_probes_offline_total"})');
  });

  it('activity is growth between checkpoints; a fall (a restart) hides it; events make the latest event', () => {
    const req = (gateway: string, transport: string, value: number) => ({ metric: { __name__: 'cassia_proxy_gateway_requests_total', gateway, transport }, value });
    const ev = (gateway: string, transport: string, value: number) => ({ metric: { __name__: 'cassia_proxy_events_total', gateway, transport }, value });
    const a = activityFromCheckpoints([0, 10, 20, 30, 40], [
      [req('G', 'capwap', 5), ev('G', 'capwap', 1)],
      [req('G', 'capwap', 5), ev('G', 'capwap', 2)],
      [req('G', 'capwap', 9), ev('G', 'capwap', 2), req('G', 'mqtt', 1)],
      [req('G', 'capwap', 9), ev('G', 'capwap', 2), req('G', 'mqtt', 0)],
      [req('G', 'capwap', 9), ev('G', 'capwap', 2), req('G', 'mqtt', 4)],
    ]);
    expect([...a.first.entries()]).toEqual([['G\u0000capwap', 10], ['G\u0000mqtt', 20]]);
    expect([...a.last.entries()]).toEqual([['G\u0000capwap', 20], ['G\u0000mqtt', 40]]);
    expect([...a.lastEvent.entries()]).toEqual([['G', 10]]);
  });

  it('rules: answers to times; one sample per gateway and transport; how many raw series there are', () => {
    const row = (metric: Record<string, string>, value: number) => ({ metric, value });
    const rules = activityFromRules([row({ gateway: 'G', transport: 'mqtt' }, 7)], [row({ gateway: 'G', transport: 'mqtt' }, 9)], [row({ gateway: 'G' }, 8)]);
    expect([...rules.first.values(), ...rules.last.values(), ...rules.lastEvent.entries()]).toEqual([7000, 9000, ['G', 8000]]);
    expect(ruleQueries('job="a"')).toEqual({
      since: 'max(job:cassia_proxy_fleet_rules:since_timestamp_seconds{job="a"})',
      first: 'min by (gateway, transport) (job_gateway_transport:cassia_proxy_active:first_timestamp_seconds{job="a"})',
      last: 'max by (gateway, transport) (job_gateway_transport:cassia_proxy_active:last_timestamp_seconds{job="a"})',
      lastEvent: 'max by (gateway) (job_gateway_transport:cassia_proxy_events:last_timestamp_seconds{job="a"})',
    });
    expect(activitySeriesQuery('job="a"')).toBe('count({job="a",__name__=~"cassia_proxy_gateway_requests_total|cassia_proxy_events_total|cassia_proxy_probes_total|cassia_proxy_probes_offline_total"})');
  });
});

describe('the queries of one report', () => {
  const q = baseQueries('{namespace="iot"}', 900, 30);
  const counts = [
    sumsQuery('namespace="iot"', ['x']),
    targetSumsQuery('namespace="iot"', [{ instance: 'x', job: 'y' }]),
  ];
  const rules = Object.values(ruleQueries('namespace="iot"'));
  const all = [
    q.proxies, q.present, q.start, q.gatewayInfo, q.gatewayOnline, q.charts.counts, q.charts.errors,
    ...counts, ...rules, activitySeriesQuery('namespace="iot"'), checkpointQuery('namespace="iot"'), timelineQuery('namespace="iot"', ['x'], 600),
  ];

  it('every query is limited by the selector', () => {
    for (const text of all) {
      const selectors = text.match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length, text).toBeGreaterThan(0);
      for (const sel of selectors) expect(sel, text).toContain('namespace="iot"');
    }
  });

  it('no query reads a range save the window\'s charts and the start times of restarted proxies; none looks at another time (offset, @)', () => {
    for (const text of [...counts, ...rules, q.gatewayInfo, q.gatewayOnline, q.proxies, q.start, checkpointQuery('namespace="iot"')]) {
      expect(text, text).not.toMatch(/\[\d+s(:\d+s)?\]|offset| @ /);
    }
    expect(q.start).toBe('cassia_proxy_process_start_time_seconds{namespace="iot"}');
    expect(q.proxies).toBe('cassia_proxy_build_info{namespace="iot"}');
  });

  it('one family per row: the by-labels each is summed by', () => {
    expect(Object.fromEntries(Object.entries(COUNTER_FAMILIES).map(([n, f]) => [n, f.by.join(',')]))).toEqual({
      gatewayRequests: 'gateway,transport,code', gatewayErrors: 'gateway,transport,code,origin', outages: 'gateway,transport', outageErrors: 'gateway,transport',
      events: 'gateway,transport', sequenced: 'gateway,transport', missing: 'gateway,transport', outOfOrder: 'gateway,transport', duplicate: 'gateway,transport',
      sequenceRequested: 'gateway,transport', acErrors: 'gateway,transport,error',
      transportRequests: 'transport,code,origin', latency: 'transport,le',
      probes: 'gateway,transport,result', probesOffline: 'gateway,transport', probeRtt: 'transport,le',
    });
    // The AC's errors are summed by what it said, the route label summed away.
    expect(sumsQuery('', [])).toMatch(/^sum by \(__name__, gateway, transport, code, origin, error, le, result\) .*cassia_proxy_ac_errors_total/);
    expect(sumsQuery('', [])).not.toContain('route');
  });

  it('a new family is one row: it joins the sums and the restarted proxies\' sums', () => {
    const families = { ...COUNTER_FAMILIES, example: { metric: 'cassia_proxy_example_total', by: ['gateway', 'transport', 'kind'] } };
    expect(sumsQuery('', [], families)).toMatch(/^sum by \(__name__, gateway, transport, code, origin, error, le, result, kind\) .*\|cassia_proxy_example_total"/);
    expect(targetSumsQuery('', [{ instance: 'x' }], families)).toContain('cassia_proxy_example_total');
  });

  it('the default selector is the scrape job of the shipped Prometheus config', () => {
    expect(DEFAULT_SELECTOR).toBe('{job="cassia-ac-proxy"}');
    expect(baseQueries(DEFAULT_SELECTOR, 900, 30).proxies).toBe('cassia_proxy_build_info{job="cassia-ac-proxy"}');
  });
});
