/**
 * The point of stream analysis: with loss, duplication and reordering injected on CAPWAP
 * gateways (none on MQTT), the proxy's counters EQUAL the simulator's ground truth for every
 * gateway and stream kind, and events_total equals what the client received.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { GatewayEntry } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { find, scrape, total, type Sample } from '../helpers/metrics.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

async function token(proxy: RunningProxy, sim: Simulator): Promise<string> {
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.body.json()) as { access_token: string };
  return body.access_token;
}

function value(samples: Sample[], name: string, stream: string, gateway: string): number {
  return total(samples, name, { stream, gateway });
}

describe.each([1, 7, 2024])('accuracy against simulator truth (seed %i)', (seed) => {
  it('missing, duplicate and out-of-order counts equal the truth; events equal what the client received', async () => {
    const sim = await createSimulator({
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
    });
    defer(() => sim.close());
    const gatewayMap: Record<string, GatewayEntry> = Object.fromEntries(sim.gateways.map((mac) => [mac, { transport: sim.truth().gateways[mac]?.transport ?? 'unknown' }]));
    const proxy = await startProxy(
      testConfig(sim.url, { transport: { gateways: gatewayMap }, sequence: { reorderWindowTime: 500 }, log: { access: false } }),
      { log: capturedLogger('warn').log },
    );
    defer(() => proxy.close());

    const t = await token(proxy, sim);
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
        const received = kind === 'combined'
          ? combined.events.filter((e) => !e.includes('"dataType":"state"') && e.includes(`"ap":"${gateway}"`)).length
          : captures.filter((c) => c.kind === kind && c.gateway === gateway).reduce((a, c) => a + c.capture.events.length, 0);
        const proxyCounts = {
          events: value(samples, 'cassia_proxy_events_total', kind, gateway),
          missing: value(samples, 'cassia_proxy_events_missing_total', kind, gateway),
          duplicate: value(samples, 'cassia_proxy_events_duplicate_total', kind, gateway),
          outOfOrder: value(samples, 'cassia_proxy_events_out_of_order_total', kind, gateway),
          received,
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
      expect({
        total: total(samples, 'cassia_proxy_gateway_requests_total', { gateway }),
        '502': codes('502'),
        '504': codes('504'),
        proxyOrigin: total(samples, 'cassia_proxy_requests_total', { origin: 'proxy' }),
      }, `${gateway} requests`).toEqual({ ...gt.requests, proxyOrigin: 0 });
      if (gt.transport === 'capwap') injected += gt.requests['502'] + gt.requests['504'];
      // The transport label follows the gateway map.
      expect(find(samples, 'cassia_proxy_events_total', { gateway }).every((s) => s.labels.transport === gt.transport)).toBe(true);
    }
    // Nothing lost or corrupted in transit: every stream's bytes as the simulator wrote them.
    const written = ((await (await request(`${sim.url}/__sim/streams`)).body.json()) as { streams: Record<string, { bytes: number; sha256: string }> }).streams;
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
  }, 30_000);
});
