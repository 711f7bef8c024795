// The PromQL of the fleet report: how the selector is combined with each metric, and the exact
// per-series increment (not increase()'s extrapolation) that every count is built from. That the
// queries parse and count exactly against a real Prometheus is test/e2e/fleet-report.test.ts.
import { describe, expect, it } from 'vitest';
import {
  activityQuery, activityStep, countQuery, DEFAULT_SELECTOR, fleetQueries, promDuration, SelectorError, selectorMatchers, seriesQuery, vectorSelector,
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
});

describe('counts', () => {
  it('is the last value minus the value before the range, the last value for series born in it, increase() after a reset', () => {
    const v = 'cassia_proxy_gateway_requests_total{job="a"}';
    expect(countQuery('cassia_proxy_gateway_requests_total', 'job="a"', 86_400, ['gateway', 'transport', 'code'])).toBe(
      'sum by (gateway, transport, code) (' +
        `((((last_over_time(${v}[86400s]) - ${v} offset 86400s) >= 0) or last_over_time(${v}[86400s]))` +
        ` unless (resets(${v}[86400s]) > 0))` +
        ` or increase(${v}[86400s]))`,
    );
  });

  it('per bucket: the increment within each step, as a matrix from an instant query', () => {
    const v = 'cassia_proxy_requests_total{job="a",code=~"502|504"}';
    expect(seriesQuery('cassia_proxy_requests_total', 'job="a"', 900, 30, ['transport'], 'code=~"502|504"')).toBe(
      `sum by (transport) ((((${v} - ${v} offset 30s) >= 0) or (${v} unless ${v} offset 30s)))[900s:30s]`,
    );
  });

  it('activity: the steps in which a counter grew or appeared above 0', () => {
    const v = 'm{job="a"}';
    expect(activityQuery('min', ['m'], 'job="a"', 600, 1, ['gateway'])).toBe(
      `min by (gateway) (min_over_time(timestamp((${v} > ${v} offset 1s) or ((${v} unless ${v} offset 1s) > 0))[600s:1s]))`,
    );
    expect(activityStep(600)).toBe(1);
    expect(activityStep(86_400)).toBe(87);
    expect(activityStep(7 * 86_400)).toBe(605);
  });

  it('durations are whole seconds, at least 1', () => {
    expect([promDuration(0.2), promDuration(59.6), promDuration(3600)]).toEqual(['1s', '60s', '3600s']);
  });
});

describe('the queries of one report', () => {
  const q = fleetQueries('{namespace="iot"}', 86_400, 900, 30);
  const all = [q.proxies, q.present, q.gatewayInfo, q.gatewayOnline, q.firstActive, q.lastActive, ...Object.values(q.counts), ...Object.values(q.series)];

  it('every query is limited by the selector', () => {
    for (const text of all) {
      const selectors = text.match(/\{[^}]*\}/g) ?? [];
      expect(selectors.length, text).toBeGreaterThan(0);
      for (const s of selectors) expect(s, text).toContain('namespace="iot"');
    }
  });

  it('counts each family over the range and over the window, summed by gateway and transport', () => {
    expect(Object.keys(q.counts).sort()).toEqual([
      'acErrors', 'duplicate', 'events', 'gatewayErrors', 'gatewayRequests', 'latency', 'missing', 'outOfOrder', 'outageErrors', 'outages', 'sequenceRequested', 'sequenced', 'transportRequests',
    ].flatMap((n) => [`range.${n}`, `window.${n}`]).sort());
    expect(q.counts['range.gatewayRequests']).toMatch(/^sum by \(gateway, transport, code\) .*\[86400s\]/);
    expect(q.counts['window.gatewayRequests']).toMatch(/\[900s\]/);
    expect(q.counts['range.gatewayRequests']).not.toMatch(/\[900s\]/);
    expect(q.counts['range.latency']).toMatch(/^sum by \(transport, le\) .*cassia_proxy_request_duration_seconds_bucket/);
    expect(q.counts['range.transportRequests']).toMatch(/^sum by \(transport, code, origin\) /);
    expect(q.counts['range.acErrors']).toMatch(/^sum by \(gateway, transport, error\) .*cassia_proxy_ac_errors_total/);
  });

  it('the default selector is the scrape job of the shipped Prometheus config', () => {
    expect(DEFAULT_SELECTOR).toBe('{job="cassia-ac-proxy"}');
    expect(fleetQueries(DEFAULT_SELECTOR, 3600, 900, 30).proxies).toBe('count(last_over_time(cassia_proxy_build_info{job="cassia-ac-proxy"}[3600s]))');
  });
});
