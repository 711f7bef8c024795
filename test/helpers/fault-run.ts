/**
 * The stream-and-call fault run shared by the accuracy tests: streams of every kind on every
 * gateway plus plain calls through the proxy to a simulator injecting loss, duplication,
 * reordering and 502/504 on CAPWAP, then an exact comparison of the proxy's counters with the
 * simulator's ground truth. The transport to the simulator (HTTP, HTTPS) is the caller's choice.
 */
import { expect } from 'vitest';
import { request, type Dispatcher } from 'undici';
import type { Simulator, SimulatorOptions } from '../../src/simulator/index.js';
import type { RunningProxy } from '../../src/main.js';
import type { GatewayEntry } from '../../src/config/types.js';
import { find, scrape, total, type Sample } from './metrics.js';
import { openSse, type SseCapture } from './sse-client.js';
import { until } from './until.js';

/** Simulator options of the fault run: 4 gateways (2 CAPWAP with faults), fast events and keep-alives. */
export function faultRunSimulator(seed: number): SimulatorOptions {
  return {
    gateways: 4,
    capwap: 2,
    devicesPerGateway: 9,
    connectedPerGateway: 3,
    seed,
    scanIntervalMs: 40,
    notifyIntervalMs: 40,
    tickMs: 20,
    keepaliveMs: 150,
    keepaliveForm: 'mixed',
    profile: { profile: 'clean', transports: { capwap: { drop: 0.05, duplicate: 0.03, reorder: 0.03, http502: 0.1, http504: 0.05, http504DelayMs: 20 } } },
  };
}

/** The gateway map that gives every simulated gateway its real transport. */
export function simGatewayMap(sim: Simulator): Record<string, GatewayEntry> {
  return Object.fromEntries(sim.gateways.map((mac) => [mac, { transport: sim.truth().gateways[mac]?.transport ?? 'unknown' }]));
}

/** An access token from the simulator, asked for through the proxy. */
export async function simToken(proxy: RunningProxy, sim: Simulator): Promise<string> {
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(res.statusCode).toBe(200);
  const body = (await res.body.json()) as { access_token: string };
  return body.access_token;
}

function value(samples: Sample[], name: string, stream: string, gateway: string): number {
  return total(samples, name, { stream, gateway });
}

export interface FaultRunOptions {
  /** How the test reaches the simulator's own endpoints (`/__sim/streams`): needed for an HTTPS simulator with its own CA. */
  simDispatcher?: Dispatcher;
}

/**
 * Runs the fault run through `proxy` (whose upstream is `sim`, with the gateway map of
 * `simGatewayMap`) and asserts: per gateway and stream kind, events, missing, duplicate and
 * out-of-order equal the truth and what the clients received; per gateway, requests and 502/504
 * equal the truth with no proxy-made answer; every stream's bytes arrived as written; and the
 * run really injected faults.
 */
export async function expectFaultRunMatchesTruth(sim: Simulator, proxy: RunningProxy, options: FaultRunOptions = {}): Promise<void> {
  const t = await simToken(proxy, sim);
  const captures: Array<{ kind: string; gateway: string; capture: SseCapture }> = [];
  for (const gateway of sim.gateways) {
    for (const [kind, path] of [['scan', '/api/gap/nodes?event=1&filter_duplicates=0'], ['notification', '/api/gatt/nodes?event=1&sequence=2'], ['connection_state', '/api/management/nodes/connection-state?event=1'], ['rssi', '/api/gap/rssi?timestamp=1']] as const) {
      // Two clients on the same scan stream of the first gateway: independent sequences.
      const copies = kind === 'scan' && gateway === sim.gateways[0] ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        // Like a real client, retry an open the AC answered 502/504 (those answers count too).
        const open = (): Promise<SseCapture> =>
          openSse(`${proxy.proxyUrl}${path}&mac=${gateway}&access_token=${t}`, { 'x-sim-stream-id': `${gateway}/${kind}/${i}` });
        let capture = await open();
        for (let attempt = 0; capture.status !== 200 && attempt < 20; attempt++) {
          await capture.done;
          capture = await open();
        }
        expect(capture.status).toBe(200);
        captures.push({ kind, gateway, capture });
      }
    }
  }
  // The AC-wide combined stream: every gateway's scan and notifications, each event naming its gateway in `ap`.
  for (const control of ['scan', 'notify']) {
    const res = await request(`${proxy.proxyUrl}/api/aps/${control}/open?access_token=${t}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: sim.gateways }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  }
  const combined = await openSse(`${proxy.proxyUrl}/api/aps/events?sequence=2&access_token=${t}`, { 'x-sim-stream-id': 'combined' });
  expect(combined.status).toBe(200);
  captures.push({ kind: 'combined', gateway: '*', capture: combined });

  // Plain calls naming each gateway, some answered 502/504 by the (simulated) AC.
  for (let round = 0; round < 40; round++) {
    await Promise.all(sim.gateways.map(async (gateway) => (await request(`${proxy.proxyUrl}/api/cassia/info?mac=${gateway}&access_token=${t}`)).body.dump()));
  }
  // Run until the faults and events the final checks need have happened.
  const streamFaults = (): number => Object.values(sim.truth().gateways)
    .reduce((n, g) => n + Object.values(g.streams).reduce((m, st) => m + st.dropped + st.duplicated + st.reordered, 0), 0);
  const received = (kind: string): number => captures.filter((c) => c.kind === kind).reduce((n, c) => n + c.capture.events.length, 0);
  await until(() => received('combined') > 50 && received('rssi') > 20 && streamFaults() > 20, 20_000,
    'combined and RSSI events and injected stream faults');
  sim.setFaults({ profile: 'clean' });
  // Later events make the last drops observable (truth counts a drop once a later event was written).
  const sequenced = captures.filter((c) => c.kind === 'scan' || c.kind === 'notification' || c.kind === 'combined');
  const atClean = sequenced.map((c) => c.capture.events.length);
  await until(() => sequenced.every((c, i) => c.capture.events.length >= (atClean[i] ?? 0) + 30), 20_000, '30 clean events on every sequenced stream');
  sim.closeStreams();
  await Promise.all(captures.map((c) => c.capture.done));
  await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 10_000, 'no active streams on the proxy', 100);

  const truth = sim.truth();
  const samples = await scrape(proxy.adminUrl);
  let injected = 0;
  for (const gateway of sim.gateways) {
    const gt = truth.gateways[gateway];
    if (!gt) throw new Error(`no truth for ${gateway}`);
    for (const kind of ['scan', 'notification', 'connection_state', 'rssi', 'combined'] as const) {
      const st = gt.streams[kind];
      const receivedHere = kind === 'combined'
        ? combined.events.filter((e) => !e.includes('"dataType":"state"') && e.includes(`"ap":"${gateway}"`)).length
        : captures.filter((c) => c.kind === kind && c.gateway === gateway).reduce((a, c) => a + c.capture.events.length, 0);
      const proxyCounts = {
        events: value(samples, 'cassia_proxy_events_total', kind, gateway),
        missing: value(samples, 'cassia_proxy_events_missing_total', kind, gateway),
        duplicate: value(samples, 'cassia_proxy_events_duplicate_total', kind, gateway),
        outOfOrder: value(samples, 'cassia_proxy_events_out_of_order_total', kind, gateway),
        received: receivedHere,
      };
      expect(proxyCounts, `${gateway} ${gt.transport} ${kind}`).toEqual({
        events: st.delivered,
        missing: st.dropped,
        duplicate: st.duplicated,
        outOfOrder: st.reordered,
        received: st.delivered,
      });
      if (gt.transport === 'mqtt') expect(st.dropped + st.duplicated + st.reordered).toBe(0);
      injected += st.dropped + st.duplicated + st.reordered;
    }
    // 502/504 per gateway: the AC's own answers, counted exactly, every exchange naming the gateway included.
    const codes = (code: string): number => total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code });
    const byOrigin = (code: string, origin: string): number => total(samples, 'cassia_proxy_gateway_errors_total', { gateway, code, origin });
    expect({
      total: total(samples, 'cassia_proxy_gateway_requests_total', { gateway }),
      '502': codes('502'),
      '504': codes('504'),
      upstream502: byOrigin('502', 'upstream'),
      upstream504: byOrigin('504', 'upstream'),
      proxyOrigin: total(samples, 'cassia_proxy_requests_total', { origin: 'proxy' }),
    }, `${gateway} requests`).toEqual({ ...gt.requests, upstream502: gt.requests['502'], upstream504: gt.requests['504'], proxyOrigin: 0 });
    if (gt.transport === 'capwap') injected += gt.requests['502'] + gt.requests['504'];
    // The transport label follows the gateway map.
    expect(find(samples, 'cassia_proxy_events_total', { gateway }).every((s) => s.labels.transport === gt.transport)).toBe(true);
  }
  // Nothing lost or corrupted in transit: every stream's bytes as the simulator wrote them.
  const streams = await request(`${sim.url}/__sim/streams`, options.simDispatcher ? { dispatcher: options.simDispatcher } : {});
  const written = ((await streams.body.json()) as { streams: Record<string, { bytes: number; sha256: string }> }).streams;
  expect(Object.keys(written)).toHaveLength(captures.length);
  for (const c of captures) {
    const id = c.kind === 'combined' ? 'combined' : Object.keys(written).find((k) => written[k]?.sha256 === c.capture.sha256());
    expect(id, `${c.gateway} ${c.kind}: received bytes match no stream the simulator wrote`).toBeDefined();
    expect(written[id as string]).toEqual({ kind: c.kind, bytes: c.capture.bytes, sha256: c.capture.sha256() });
  }
  // The run really exercised faults (otherwise equality would prove nothing).
  expect(injected).toBeGreaterThan(20);
  expect(captures.find((c) => c.kind === 'combined')?.capture.events.length).toBeGreaterThan(50);
  expect(total(samples, 'cassia_proxy_events_total', { stream: 'rssi' })).toBeGreaterThan(20);
  expect(total(samples, 'cassia_proxy_sequence_resets_total')).toBe(0);
  expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
}
