// The fleet report end to end: a real Prometheus scrapes THREE real proxies (every second) in
// front of one simulator; each proxy carries its own client workload, of a different size and on
// different gateways, and one gateway moves from CAPWAP to MQTT half way (the simulator moves it,
// every proxy reloads its gateway map). After the traffic stops and Prometheus has scraped the
// final values, `report --prometheus` must count exactly what the three proxies' /metrics say,
// judge the CAPWAP gateways as the fault profile makes them, see the move, and give a verdict on
// a gateway that no single proxy saw enough of.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { Config, GatewayEntry } from '../../src/config/types.js';
import { createPromClient } from '../../src/fleet/client.js';
import { collectFleet, type FleetReport } from '../../src/fleet/collect.js';
import { reportMain } from '../../src/fleet/main.js';
import type { TransportReport } from '../../src/report/types.js';
import { testConfig } from '../helpers/config.js';
import { scrape, total, type Sample } from '../helpers/metrics.js';
import { binaryStatus, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { capturedLogger } from '../helpers/servers.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';
import { shapeDiff } from '../helpers/shape.js';
import { until } from '../helpers/until.js';
import { writeTestSizedFleetRules } from './observed-stack.js';

const status = binaryStatus('prometheus');
const JOB = 'cassia-ac-proxy';
const SELECTOR = `{job="${JOB}"}`;

// Simulator gateways: 1–3 CAPWAP (faulty), 4–6 MQTT (clean).
const MOVED = 'CC:1B:E0:E0:00:01';
/** CAPWAP, requests from all three proxies; proxy c alone sees one MQTT gateway, too few to tell how gateways differ. */
const SPREAD = 'CC:1B:E0:E0:00:02';
const G3 = 'CC:1B:E0:E0:00:03';
const G4 = 'CC:1B:E0:E0:00:04';
const G5 = 'CC:1B:E0:E0:00:05';
const G6 = 'CC:1B:E0:E0:00:06';

/** Requests per proxy and gateway, before and after the move. */
const BEFORE: Record<'a' | 'b' | 'c', Record<string, number>> = {
  a: { [MOVED]: 150, [SPREAD]: 120, [G4]: 150 },
  b: { [MOVED]: 100, [SPREAD]: 90, [G5]: 150 },
  c: { [SPREAD]: 60, [G3]: 250, [G6]: 100 },
};
const AFTER: Record<'a' | 'b' | 'c', Record<string, number>> = { a: { [MOVED]: 150 }, b: { [MOVED]: 100 }, c: {} };

interface Stack {
  sim: Simulator;
  proxies: Record<'a' | 'b' | 'c', RunningProxy>;
  prometheus: RunningPrometheus;
  /** ms: the traffic before the move ended; the reload was sent; everything stopped. */
  beforeDone: number;
  reloadedAt: number;
  stoppedAt: number;
  /** ms: the evaluation time of the report. */
  reportAt: number;
  /** Every proxy's /metrics after the traffic stopped. */
  samples: Sample[];
  fleet: FleetReport;
  /** The same report over a range the recording rules cover (they began before the traffic). */
  fromRules: FleetReport;
}

async function token(proxy: RunningProxy, sim: Simulator): Promise<string> {
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  return ((await res.body.json()) as { access_token: string }).access_token;
}

/** `n` plain calls naming `gateway`, four at a time. */
async function calls(proxy: RunningProxy, t: string, gateway: string, n: number): Promise<void> {
  let left = n;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (left > 0) {
      left -= 1;
      const res = await request(`${proxy.proxyUrl}/api/cassia/info?mac=${gateway}&access_token=${t}`);
      await res.body.dump();
    }
  }));
}

/** Opens a stream, retrying opens the (simulated) AC answers 502/504, as a client would. */
async function stream(proxy: RunningProxy, t: string, path: string, gateway: string): Promise<SseCapture> {
  const open = (): Promise<SseCapture> => openSse(`${proxy.proxyUrl}${path}&mac=${gateway}&access_token=${t}`);
  let capture = await open();
  for (let attempt = 0; capture.status !== 200 && attempt < 30; attempt++) {
    await capture.done;
    capture = await open();
  }
  expect(capture.status).toBe(200);
  return capture;
}

/** Waits until Prometheus holds a scrape of each of the three proxies that began after `t` (ms). */
async function scrapedAfter(prometheus: RunningPrometheus, t: number): Promise<void> {
  await until(async () => {
    const scraped = await prometheus.query(`timestamp(cassia_proxy_build_info${SELECTOR})`);
    return scraped.length === 3 && scraped.every((x) => x.value * 1000 > t);
  }, 10_000, `a scrape of each proxy after ${new Date(t).toISOString()}`);
}

const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}): number => total(samples, name, labels);

async function runReport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await reportMain(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, stdout, stderr };
}

describe.runIf(status.mustFail)('fleet report (prometheus missing under CI)', () => {
  it('fails because prometheus is required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('fleet report from a real Prometheus over three proxies', () => {
  let stack: Stack | undefined;
  const stops: Array<() => Promise<void>> = [];
  const s = (): Stack => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };

  beforeAll(async () => {
    const sim = await createSimulator({
      gateways: 6, capwap: 3, devicesPerGateway: 6, connectedPerGateway: 3, seed: 11,
      scanIntervalMs: 100, notifyIntervalMs: 50, tickMs: 25, keepaliveMs: 500,
      profile: { profile: 'clean', transports: { capwap: { http502: 0.3, drop: 0.1 } } },
    });
    stops.push(() => sim.close());
    let moved = false;
    const config = (): Config => {
      const gateways: Record<string, GatewayEntry> = Object.fromEntries(sim.gateways.map((mac, i) => [
        mac, { transport: i < 3 && !(moved && mac === MOVED) ? 'capwap' : 'mqtt' },
      ]));
      return testConfig(sim.url, { transport: { gateways }, sequence: { reorderWindowTime: 300 }, log: { access: false } });
    };
    const start = async (): Promise<RunningProxy> => {
      const proxy = await startProxy(config(), { log: capturedLogger('error').log, reloadConfig: () => Promise.resolve(config()), report: { firstLookMs: 1000, minuteMs: 1000 } });
      stops.push(() => proxy.close());
      return proxy;
    };
    const proxies = { a: await start(), b: await start(), c: await start() };
    const rules = await writeTestSizedFleetRules();
    stops.push(rules.remove);
    const prometheus = await startPrometheus({
      scrape: [{ job: JOB, targets: Object.values(proxies).map((p) => new URL(p.adminUrl).host) }],
      scrapeInterval: '1s',
      ruleFiles: [rules.file],
    });
    stops.push(() => prometheus.stop());
    await until(async () => (await prometheus.targets()).filter((t) => t.health === 'up').length === 3, 15_000, 'three proxies scraped');
    // The recording rules run from before the traffic (a report over a range they cover uses them).
    let rulesSince = Infinity;
    await until(async () => {
      rulesSince = (await prometheus.query(`job:cassia_proxy_fleet_rules:since_timestamp_seconds${SELECTOR}`))[0]?.value ?? Infinity;
      return Date.now() / 1000 > rulesSince + 2;
    }, 15_000, 'the recording rules running for 2 s');

    const tokens = { a: await token(proxies.a, sim), b: await token(proxies.b, sim), c: await token(proxies.c, sim) };
    const streams = [
      await stream(proxies.b, tokens.b, '/api/gap/nodes?event=1&filter_duplicates=0', G5),
      await stream(proxies.c, tokens.c, '/api/gatt/nodes?event=1&sequence=2', G3),
      await stream(proxies.c, tokens.c, '/api/gap/nodes?event=1&filter_duplicates=0', G6),
    ];
    // Each phase spreads its calls over six whole seconds: the before/after verdict compares
    // "minutes" of one second here (minuteSeconds below) and needs three on each side.
    const SLICES = 6;
    const phase = async (plan: typeof BEFORE): Promise<void> => {
      for (let slice = 0; slice < SLICES; slice++) {
        const next = Math.ceil(Date.now() / 1000) * 1000 + 100;
        await Promise.all((['a', 'b', 'c'] as const).flatMap((p) => Object.entries(plan[p]).map(([gateway, n]) =>
          calls(proxies[p], tokens[p], gateway, Math.floor(n / SLICES) + (slice < n % SLICES ? 1 : 0)))));
        await until(() => Date.now() >= next, 2000, 'the next second');
      }
    };

    await phase(BEFORE);
    // Prometheus sees the counts under CAPWAP before anything is counted under MQTT.
    const beforeDone = Date.now();
    await scrapedAfter(prometheus, beforeDone);
    // The move: the AC side first (the gateway now talks MQTT), then every proxy's gateway map.
    sim.setFaults({ gateways: { [MOVED]: { transport: 'mqtt' } } });
    moved = true;
    for (const proxy of Object.values(proxies)) {
      const res = await request(`${proxy.adminUrl}/-/reload`, { method: 'POST' });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    const reloadedAt = Date.now();
    await phase(AFTER);

    await until(() => streams.every((c) => c.events.length >= 40), 10_000, 'events on every stream');
    for (const c of streams) c.close();
    await Promise.all(streams.map((c) => c.done));
    for (const proxy of Object.values(proxies)) {
      await until(async () => sum(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000, 'streams ended');
    }
    // Counters are final from here on; wait for a scrape of every proxy that began after this.
    const stoppedAt = Date.now();
    await scrapedAfter(prometheus, stoppedAt);

    const samples = (await Promise.all(Object.values(proxies).map((p) => scrape(p.adminUrl)))).flat();
    const reportAt = Date.now();
    const client = createPromClient({ url: new URL(prometheus.url), headers: {}, timeoutMs: 10_000, time: reportAt });
    const fleet = await collectFleet({ client, selector: SELECTOR, rangeSeconds: 600, now: reportAt, minuteSeconds: 1 });
    const fromRules = await collectFleet({ client, selector: SELECTOR, rangeSeconds: Math.floor(reportAt / 1000 - rulesSince), now: reportAt, minuteSeconds: 1 })
      .finally(() => client.close());
    stack = { sim, proxies, prometheus, beforeDone, reloadedAt, stoppedAt, reportAt, samples, fleet, fromRules };
  }, 90_000);

  afterAll(async () => {
    while (stops.length) await stops.pop()?.().catch(() => undefined);
  });

  it('counts every gateway exactly as the three proxies together', () => {
    const { samples, fleet } = s();
    expect(fleet.proxies).toBe(3);
    const gateways = [...new Set(samples.filter((x) => x.name === 'cassia_proxy_gateway_requests_total').map((x) => x.labels.gateway as string))].sort();
    expect(gateways).toEqual([MOVED, SPREAD, G3, G4, G5, G6]);
    for (const gateway of gateways) {
      const g = fleet.gateways.find((x) => x.gateway === gateway);
      const sinceStart = g?.sinceStart;
      const code = (c: string): number => sum(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: c });
      const origin = (c: string, o: string): number => sum(samples, 'cassia_proxy_gateway_errors_total', { gateway, code: c, origin: o });
      expect({
        requests: sinceStart?.requests, status502: sinceStart?.status502.all.count, status504: sinceStart?.status504.all.count,
        upstream502: sinceStart?.status502.upstream.count, proxy502: sinceStart?.status502.proxy.count,
        errors: sinceStart?.errors.count, clientAborts: sinceStart?.clientAborts,
        events: sinceStart?.events, sequenced: sinceStart?.sequenced, missing: sinceStart?.missing,
        outOfOrder: sinceStart?.outOfOrder, duplicate: sinceStart?.duplicate,
      }, gateway).toEqual({
        requests: sum(samples, 'cassia_proxy_gateway_requests_total', { gateway }), status502: code('502'), status504: code('504'),
        upstream502: origin('502', 'upstream'), proxy502: origin('502', 'proxy'),
        errors: code('502') + code('504'), clientAborts: code('499'),
        events: sum(samples, 'cassia_proxy_events_total', { gateway }),
        sequenced: sum(samples, 'cassia_proxy_events_sequenced_total', { gateway }),
        missing: sum(samples, 'cassia_proxy_events_missing_total', { gateway }),
        outOfOrder: sum(samples, 'cassia_proxy_events_out_of_order_total', { gateway }),
        duplicate: sum(samples, 'cassia_proxy_events_duplicate_total', { gateway }),
      });
    }
    // The workload's own sizes, as a check on the check.
    expect(fleet.gateways.find((x) => x.gateway === SPREAD)?.sinceStart.requests).toBe(270);
    expect(fleet.gateways.find((x) => x.gateway === G3)?.sinceStart.events).toBeGreaterThan(0);
  });

  it('counts every transport exactly as the three proxies together', () => {
    const { samples, fleet } = s();
    const transports = [...new Set(samples.filter((x) => x.name === 'cassia_proxy_requests_total').map((x) => x.labels.transport as string))].sort();
    expect(transports).toEqual(['capwap', 'mqtt', 'none']);
    for (const transport of transports) {
      const t = fleet.report.transports.find((x) => x.transport === transport)?.sinceStart;
      const errors = samples
        .filter((x) => x.name === 'cassia_proxy_requests_total' && x.labels.transport === transport && /^50[24]$/.test(x.labels.code ?? '') && x.labels.origin !== 'client')
        .reduce((a, x) => a + x.value, 0);
      expect({
        requests: t?.requests, errors: t?.errors.count, upstream502: t?.status502.upstream.count,
        events: t?.events, sequenced: t?.sequenced, missing: t?.missing, headerSamples: t?.headersMs.samples,
      }, transport).toEqual({
        requests: sum(samples, 'cassia_proxy_requests_total', { transport }),
        errors,
        upstream502: sum(samples, 'cassia_proxy_requests_total', { transport, code: '502', origin: 'upstream' }),
        events: sum(samples, 'cassia_proxy_events_total', { transport }),
        sequenced: sum(samples, 'cassia_proxy_events_sequenced_total', { transport }),
        missing: sum(samples, 'cassia_proxy_events_missing_total', { transport }),
        headerSamples: sum(samples, 'cassia_proxy_request_duration_seconds_count', { transport }),
      });
    }
    // The requests behind the gateways add up to the transport figures (the token calls are `none`).
    const perGateway = fleet.gateways.filter((g) => g.gateway !== 'none').reduce((a, g) => a + g.sinceStart.requests, 0);
    const perTransport = fleet.report.transports.filter((t) => t.transport !== 'none').reduce((a, t) => a + t.sinceStart.requests, 0);
    expect(perGateway).toBe(perTransport);
  });

  it('judges the CAPWAP gateways as the fault profile makes them, the fleet pooling what no proxy had enough of', async () => {
    const { fleet, proxies } = s();
    const verdicts = Object.fromEntries(fleet.report.recommendations.map((r) => [r.gateway, r.verdict]));
    // 30 % 502 on CAPWAP, MQTT clean: every CAPWAP gateway with enough traffic should move.
    expect(verdicts).toEqual({ [SPREAD]: 'move_to_mqtt', [G3]: 'move_to_mqtt' });
    const spread = fleet.report.recommendations.find((r) => r.gateway === SPREAD);
    expect(spread?.errors.enough).toBe(true);
    expect(spread?.errors.b.count).toBe(0);
    // The fleet compares with 4 MQTT gateways (G4–G6 and the moved one); proxy c saw only G6.
    expect(fleet.report.transportComparison.find((t) => t.measure === 'errors')?.mqtt.gateways).toBe(4);
    const own = (await (await request(`${proxies.c.adminUrl}/api/report`)).body.json()) as TransportReport;
    const mine = own.recommendations.find((r) => r.gateway === SPREAD);
    expect(mine?.verdict, 'proxy c alone').toBe('insufficient_data');
    expect(mine?.reason).toMatch(/1 MQTT gateway .*at least 2/);
  });

  it('sees the move from CAPWAP to MQTT, with the counts under each label and when it happened', () => {
    const { fleet, samples, beforeDone, reloadedAt, reportAt } = s();
    expect(fleet.report.transportChanges.map((c) => [c.gateway, c.from, c.to, c.verdict])).toEqual([[MOVED, 'capwap', 'mqtt', 'improved']]);
    // Its minutes were asked for it alone: one query per family it has series of (its calls only here).
    expect([fleet.plan.changedGateways, fleet.plan.minuteQueries]).toEqual([1, 1]);
    const change = fleet.report.transportChanges[0];
    const under = (transport: string): number => sum(samples, 'cassia_proxy_gateway_requests_total', { gateway: MOVED, transport });
    expect(change?.before.requests).toBe(under('capwap'));
    expect(change?.after.requests).toBe(under('mqtt'));
    expect([change?.before.requests, change?.after.requests]).toEqual([250, 250]);
    expect(change?.before.errors.count).toBe(sum(samples, 'cassia_proxy_gateway_requests_total', { gateway: MOVED, transport: 'capwap', code: '502' }));
    // Found from the raw counters: the end of the first checkpoint interval (10m / 24 here) in which
    // a counter under MQTT grew, which is after the scrape that saw the last counts under CAPWAP.
    expect(fleet.plan.activityResolutionSeconds).toBe(25);
    const step = fleet.plan.activityResolutionSeconds * 1000;
    const changedAt = Date.parse(change?.changedAt ?? '');
    expect(changedAt).toBeGreaterThan(beforeDone);
    expect(changedAt).toBeLessThanOrEqual(reportAt);
    const g = fleet.gateways.find((x) => x.gateway === MOVED);
    expect(g?.transport).toBe('mqtt');
    expect(g?.transports.map((t) => t.transport)).toEqual(['capwap', 'mqtt']);
    const [capwap, mqtt] = g?.transports ?? [];
    // Both are found at the resolution of one interval: the last CAPWAP growth and the first MQTT
    // one can fall into the same interval when the move happened within it.
    expect(Date.parse(capwap?.lastAt ?? '')).toBeLessThanOrEqual(changedAt);
    expect(mqtt?.firstAt).toBe(change?.changedAt);
    expect(Date.parse(capwap?.lastAt ?? '')).toBeLessThan(reloadedAt + 1000 + step);
    expect(changedAt - step).toBeLessThan(reportAt);
    expect(fleet.report.recommendations.some((r) => r.gateway === MOVED)).toBe(false);
  });

  it('with the recording rules: the same counts and verdicts, the move at the rules\' resolution, and it says so', () => {
    const { fleet, fromRules, beforeDone, reportAt } = s();
    expect([fleet.plan.activity, fromRules.plan.activity]).toEqual(['raw series', 'recording rules']);
    expect(fleet.plan.rulesSince).not.toBeNull();
    expect(fromRules.plan.activityResolutionSeconds).toBe(60);
    const counts = (f: FleetReport) => f.gateways.map((g) => [g.gateway, g.sinceStart, g.window]);
    expect(counts(fromRules)).toEqual(counts(fleet));
    expect(fromRules.report.recommendations.map((r) => [r.gateway, r.verdict])).toEqual(fleet.report.recommendations.map((r) => [r.gateway, r.verdict]));
    const change = fromRules.report.transportChanges[0];
    expect([change?.gateway, change?.from, change?.to]).toEqual([MOVED, 'capwap', 'mqtt']);
    // The first rule evaluation that saw a count under MQTT came after the scrape of the last CAPWAP counts.
    expect(Date.parse(change?.changedAt ?? '')).toBeGreaterThan(beforeDone);
    expect(Date.parse(change?.changedAt ?? '')).toBeLessThanOrEqual(reportAt);
    const [capwap, mqtt] = fromRules.gateways.find((g) => g.gateway === MOVED)?.transports ?? [];
    expect([capwap?.transport, mqtt?.transport]).toEqual(['capwap', 'mqtt']);
    expect(Date.parse(capwap?.lastAt ?? '')).toBeLessThanOrEqual(Date.parse(mqtt?.firstAt ?? ''));
    expect(fromRules.gateways.find((g) => g.gateway === G3)?.lastEventAt).not.toBeNull();
  });

  it('--format json has the shape of /api/report', async () => {
    const { prometheus, proxies } = s();
    const out = await runReport(['--prometheus', prometheus.url, '--range', '10m', '--selector', SELECTOR, '--format', 'json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const fleet = JSON.parse(out.stdout) as TransportReport;
    // Proxy a has a recommendation, a transport change and both transports: every array is non-empty.
    const own = (await (await request(`${proxies.a.adminUrl}/api/report`)).body.json()) as TransportReport;
    expect(own.transportChanges.length).toBeGreaterThan(0);
    expect(own.recommendations.length).toBeGreaterThan(0);
    expect(fleet.transportChanges.length).toBeGreaterThan(0);
    expect(shapeDiff(fleet, own)).toEqual([]);
    expect(fleet.recommendations.map((r) => r.gateway).sort()).toEqual([SPREAD, G3].sort());
  });

  it('--format text, markdown and html show the same verdicts', async () => {
    const { prometheus } = s();
    const base = ['--prometheus', prometheus.url, '--range', '10m', '--selector', SELECTOR, '--change-bucket', '1s'];
    const text = await runReport([...base, '--format', 'text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('cassia-ac-proxy fleet report');
    expect(text.stdout).toContain('3 proxy instances');
    expect(text.stdout).toMatch(new RegExp(`${SPREAD}\\s+move to mqtt`));
    expect(text.stdout).toMatch(new RegExp(`${MOVED}.*capwap → mqtt.*improved`));
    const md = await runReport([...base, '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(new RegExp(`^\\| ${SPREAD} \\| .*\\| move to mqtt \\|`, 'm'));
    const html = await runReport([...base, '--format', 'html']);
    expect(html.code).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).toContain('fleet report');
    expect(html.stdout).toContain(`data-gateway="${SPREAD}"`);
    // Self-contained: nothing to load, nothing refreshing a file.
    expect(html.stdout).not.toMatch(/<script|<link|src=|http-equiv="refresh"|href="api/);
  });

  it('a selector that matches nothing: exit 1, one line naming Prometheus and the selector', async () => {
    const { prometheus } = s();
    const out = await runReport(['--prometheus', prometheus.url, '--selector', '{job="no-such-job"}', '--format', 'json']);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('no cassia_proxy_ series');
    expect(out.stderr).toContain(prometheus.url);
    expect(out.stderr).toContain('{job="no-such-job"}');
  });

  it('a selector Prometheus cannot parse: exit 2 with Prometheus\' own error text', async () => {
    const { prometheus } = s();
    const selector = `{job="${JOB}" instance="x"}`;
    const out = await runReport(['--prometheus', prometheus.url, '--selector', selector]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/bad_data: .*parse error/);
    expect(out.stderr).toContain(prometheus.url);
    expect(out.stderr).toContain(selector);
  });
});
