// Which gateways get before/after minutes: the counts decide, whatever the activity times said
// first. A loopback server stands in for Prometheus with the recording rules: the activity times
// name one gateway as moved whose counts show one transport, and miss one whose counts show two.
import { describe, expect, it } from 'vitest';
import { ruleQueries } from '../../src/fleet/activity.js';
import { createPromClient } from '../../src/fleet/client.js';
import { collectFleet } from '../../src/fleet/collect.js';
import { selectorMatchers } from '../../src/fleet/queries.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { httpServer } from '../helpers/servers.js';

const { track } = cleanupAfterEach();
const SELECTOR = '{job="cassia-ac-proxy"}';
const RULES = ruleQueries(selectorMatchers(SELECTOR));
const NOW = Date.UTC(2026, 11, 6, 18) / 1000;
const RANGE = 86_400;
/** Named moved by the activity times, but its counts are all under CAPWAP. */
const SAID = 'CC:1B:E0:E0:00:01';
/** Moved by its counts; the activity times know only its CAPWAP side (it moved within the last minute). */
const MISSED = 'CC:1B:E0:E0:00:02';
/** Moved, and the activity times agree. */
const BOTH = 'CC:1B:E0:E0:00:03';
const PROXY = { job: 'cassia-ac-proxy', instance: 'p0:9464' };

const vector = (rows: Array<[Record<string, string>, number]>) => ({
  status: 'success', data: { resultType: 'vector', result: rows.map(([metric, v]) => ({ metric, value: [NOW, String(v)] })) },
});

/** Answers as a Prometheus holding one steady proxy, the rules, and the calls of the three gateways. */
function answer(path: string, form: URLSearchParams): unknown {
  if (path.endsWith('/series')) {
    const match = form.get('match[]') ?? '';
    if (!match.includes('gateway=~')) return { status: 'success', data: [{ __name__: 'cassia_proxy_build_info', ...PROXY }] };
    // The minute families' series of the gateways asked for: one requests series per gateway and transport.
    const asked = [SAID, MISSED, BOTH].filter((g) => match.includes(g));
    return { status: 'success', data: asked.flatMap((gateway) => ['capwap', 'mqtt'].map((transport) => ({ __name__: 'cassia_proxy_gateway_requests_total', gateway, transport, code: '200', ...PROXY }))) };
  }
  const query = form.get('query') ?? '';
  const at = Number(form.get('time'));
  if (query.includes('process_start_time_seconds')) return vector([[PROXY, NOW - 2 * RANGE]]);
  if (query === RULES.since) return vector([[{}, NOW - 2 * RANGE]]);
  const hour = (h: number) => NOW - h * 3600;
  if (query === RULES.first) {
    return vector([
      [{ gateway: SAID, transport: 'capwap' }, hour(20)], [{ gateway: SAID, transport: 'mqtt' }, hour(2)],
      [{ gateway: MISSED, transport: 'capwap' }, hour(20)],
      [{ gateway: BOTH, transport: 'capwap' }, hour(20)], [{ gateway: BOTH, transport: 'mqtt' }, hour(3)],
    ].map(([m, v]) => [m as Record<string, string>, v as number]));
  }
  if (query === RULES.last) {
    return vector([
      [{ gateway: SAID, transport: 'capwap' }, hour(1)], [{ gateway: SAID, transport: 'mqtt' }, hour(1)],
      [{ gateway: MISSED, transport: 'capwap' }, hour(1)],
      [{ gateway: BOTH, transport: 'capwap' }, hour(3)], [{ gateway: BOTH, transport: 'mqtt' }, hour(0)],
    ].map(([m, v]) => [m as Record<string, string>, v as number]));
  }
  if (/\[\d+s:\d+s\]$/.test(query)) {
    // A minute subquery: the named gateways' calls growing by one a step under each transport.
    const step = Number(/:(\d+)s\]$/.exec(query)?.[1]);
    const span = Number(/\[(\d+)s:/.exec(query)?.[1]);
    const times = Array.from({ length: Math.floor(span / step) }, (_, i) => Math.ceil((NOW - span) / step) * step + i * step);
    const rows = [SAID, MISSED, BOTH].filter((g) => query.includes(g)).flatMap((gateway) => ['capwap', 'mqtt'].map((transport) => ({
      metric: { gateway, transport, code: '200' }, values: times.map((t, i) => [t, String(i * 25)]),
    })));
    return { status: 'success', data: { resultType: 'matrix', result: rows } };
  }
  if (query.includes('sum by (__name__, gateway, transport, code)') && query.includes('cassia_proxy_gateway_requests_total') && at === NOW) {
    return vector([
      [{ __name__: 'cassia_proxy_gateway_requests_total', gateway: SAID, transport: 'capwap', code: '200' }, 500],
      [{ __name__: 'cassia_proxy_gateway_requests_total', gateway: MISSED, transport: 'capwap', code: '200' }, 500],
      [{ __name__: 'cassia_proxy_gateway_requests_total', gateway: MISSED, transport: 'mqtt', code: '200' }, 30],
      [{ __name__: 'cassia_proxy_gateway_requests_total', gateway: BOTH, transport: 'capwap', code: '200' }, 500],
      [{ __name__: 'cassia_proxy_gateway_requests_total', gateway: BOTH, transport: 'mqtt', code: '200' }, 500],
    ]);
  }
  if (/\[\d+s:\d+s\]$/.test(query) || query.includes('[')) return { status: 'success', data: { resultType: 'matrix', result: [] } };
  return vector([]);
}

describe('the gateways that moved, and their minutes', () => {
  it('the counts decide: a gateway the activity times named alone gets none; one they missed gets its own round', async () => {
    const asked: string[] = [];
    const server = track(await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        if ((req.url ?? '').endsWith('/series') && (form.get('match[]') ?? '').includes('gateway=~')) asked.push(`series ${form.get('match[]')}`);
        if (/\[\d+s:\d+s\]$/.test(form.get('query') ?? '') && (form.get('query') ?? '').includes('gateway=~')) asked.push(`minutes ${form.get('query')}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(req.url ?? '', form)));
      });
    }));
    const client = createPromClient({ url: new URL(server.url), headers: {}, timeoutMs: 5000, time: NOW * 1000 });
    const fleet = await collectFleet({ client, selector: SELECTOR, rangeSeconds: RANGE, now: NOW * 1000 }).finally(() => client.close());

    expect(fleet.report.transportChanges.map((c) => [c.gateway, c.from, c.to])).toEqual([[BOTH, 'capwap', 'mqtt'], [MISSED, 'capwap', 'mqtt']].sort());
    expect(fleet.plan.changedGateways).toBe(2);
    // First round: the gateways the activity times named (SAID and BOTH); second: the one they missed.
    const series = asked.filter((a) => a.startsWith('series'));
    expect(series).toHaveLength(2);
    expect([SAID, BOTH].every((g) => series[0]?.includes(g)) && !series[0]?.includes(MISSED)).toBe(true);
    expect(series[1]?.includes(MISSED) && !series[1]?.includes(SAID)).toBe(true);
    expect(fleet.plan.minuteQueries).toBe(asked.filter((a) => a.startsWith('minutes')).length);
    const change = (gateway: string) => fleet.report.transportChanges.find((c) => c.gateway === gateway);
    // BOTH moved 3 hours ago: a look-back of 8 hours in 2-minute buckets; MISSED just now: the last hour in minutes.
    expect(asked.some((a) => a.startsWith('minutes') && a.includes(BOTH) && a.endsWith('[28920s:120s]'))).toBe(true);
    expect(asked.some((a) => a.startsWith('minutes') && a.includes(MISSED) && a.endsWith('[3660s:60s]'))).toBe(true);
    // Each tested on its minutes (without them the verdict would say it has too few).
    for (const gateway of [BOTH, MISSED]) expect(change(gateway)?.reason, gateway).toMatch(/\(p=[0-9.]+, level/);
  });
});
