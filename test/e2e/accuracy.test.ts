/**
 * The point of stream analysis: with loss, duplication and reordering injected on CAPWAP
 * gateways (none on MQTT), the proxy's counters EQUAL the simulator's ground truth for every
 * gateway and stream kind, and events_total equals what the client received.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { GatewayEntry } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { find, scrape, total, type Sample } from '../helpers/metrics.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function token(proxy: RunningProxy, sim: Simulator): Promise<string> {
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.body.json()) as { access_token: string };
  return body.access_token;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error('condition not met in time');
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
      profile: { profile: 'clean', transports: { capwap: { drop: 0.05, duplicate: 0.03, reorder: 0.03 } } },
    });
    cleanups.push(() => sim.close());
    const gatewayMap: Record<string, GatewayEntry> = Object.fromEntries(sim.gateways.map((mac) => [mac, { transport: sim.truth().gateways[mac]?.transport ?? 'unknown' }]));
    const proxy = await startProxy(
      testConfig(sim.url, { transport: { gateways: gatewayMap }, sequence: { reorderWindowTime: 500 }, log: { access: false } }),
      { logger: capturedLogger('warn').logger },
    );
    cleanups.push(() => proxy.close());

    const t = await token(proxy, sim);
    const captures: Array<{ kind: string; gateway: string; capture: SseCapture }> = [];
    for (const gateway of sim.gateways) {
      for (const [kind, path] of [['scan', '/api/gap/nodes?event=1&filter_duplicates=0'], ['notification', '/api/gatt/nodes?event=1&sequence=2'], ['connection_state', '/api/management/nodes/connection-state?event=1']] as const) {
        // Two clients on the same scan stream of the first gateway: independent sequences.
        const copies = kind === 'scan' && gateway === sim.gateways[0] ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const capture = await openSse(`${proxy.proxyUrl}${path}&mac=${gateway}&access_token=${t}`);
          expect(capture.status).toBe(200);
          captures.push({ kind, gateway, capture });
        }
      }
    }
    await sleep(2500);
    sim.setFaults({ profile: 'clean' });
    // Later events make the last drops observable (truth counts a drop once a later event was written).
    await sleep(800);
    sim.closeStreams();
    await Promise.all(captures.map((c) => c.capture.done));
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000);

    const truth = sim.truth();
    const samples = await scrape(proxy.adminUrl);
    let injected = 0;
    for (const gateway of sim.gateways) {
      const gt = truth.gateways[gateway];
      if (!gt) throw new Error(`no truth for ${gateway}`);
      for (const kind of ['scan', 'notification', 'connection_state'] as const) {
        const st = gt.streams[kind];
        const received = captures.filter((c) => c.kind === kind && c.gateway === gateway).reduce((a, c) => a + c.capture.events.length, 0);
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
      // The transport label follows the gateway map.
      expect(find(samples, 'cassia_proxy_events_total', { gateway }).every((s) => s.labels.transport === gt.transport)).toBe(true);
    }
    // The run really exercised faults (otherwise equality would prove nothing).
    expect(injected).toBeGreaterThan(20);
    expect(total(samples, 'cassia_proxy_sequence_resets_total')).toBe(0);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
  }, 30_000);
});
