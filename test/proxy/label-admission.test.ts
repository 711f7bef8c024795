/**
 * Label admission (docs/reference.md "Gateway labels"): a MAC gets a `gateway` label of its own
 * only once it is known to exist — in the gateway map, named by the AC (hub list, hub-status
 * stream, combined-stream `ap`), or answered below 400 for a call naming it. Invented MACs count
 * under `other`, whatever their number; a real gateway that only ever fails keeps its own label
 * when the map or the hub list knows it. Real proxy, real simulator, over sockets.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import type { Config } from '../../src/config/types.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { find, scrape } from '../helpers/metrics.js';
import { capturedLogger } from '../helpers/servers.js';
import { getToken } from '../simulator/helpers.js';

const { track } = cleanupAfterEach();

async function stack(overrides: (sim: Simulator) => Parameters<typeof testConfig>[1] = () => ({})): Promise<{ sim: Simulator; proxy: RunningProxy; token: string }> {
  const sim = track(await createSimulator({ gateways: 3, capwap: 1, seed: 3, profile: 'clean' }));
  const proxy = track(await startProxy(testConfig(sim.url, { log: { access: false }, ...overrides(sim) }) as Config, { log: capturedLogger('error').log }));
  return { sim, proxy, token: await getToken(sim.url, sim.key, sim.secret) };
}

async function call(proxy: RunningProxy, path: string): Promise<number> {
  const res = await request(proxy.proxyUrl + path);
  await res.body.dump();
  return res.statusCode;
}

async function gatewayLabels(proxy: RunningProxy): Promise<string[]> {
  const rows = find(await scrape(proxy.adminUrl), 'cassia_proxy_gateway_requests_total');
  return [...new Set(rows.map((r) => r.labels.gateway as string))].sort();
}

function invented(i: number): string {
  const hex = (i + 0x100).toString(16).padStart(6, '0').toUpperCase();
  return `AA:BB:CC:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

describe('gateway label admission', () => {
  it('1,500 invented MACs add no gateway series; a real gateway answered 200 gets its own', async () => {
    const { sim, proxy, token } = await stack();
    for (let i = 0; i < 1500; i++) {
      // The AC does not know them: 500 `hub not found`.
      expect(await call(proxy, `/api/gap/nodes/AA:00:00:00:00:01/connection?mac=${invented(i)}&access_token=${token}`)).toBe(500);
    }
    expect(await gatewayLabels(proxy)).toEqual(['other']);
    const samples = await scrape(proxy.adminUrl);
    expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: 'other' }).reduce((n, s) => n + s.value, 0)).toBe(1500);
    // Folding unverified MACs is not a label overflow.
    expect(find(samples, 'cassia_proxy_label_overflow_total').reduce((n, s) => n + s.value, 0)).toBe(0);

    const real = sim.gateways[0] as string;
    expect(await call(proxy, `/api/cassia/info?mac=${real}&access_token=${token}`)).toBe(200);
    expect(await call(proxy, `/api/cassia/info?mac=${real.toLowerCase()}&access_token=${token}`)).toBe(200);
    expect(await gatewayLabels(proxy)).toEqual([real, 'other']);
    expect(find(await scrape(proxy.adminUrl), 'cassia_proxy_gateway_requests_total', { gateway: real })[0]?.value).toBe(2);
  });

  it('a gateway in the map that only ever fails keeps its own label', async () => {
    const { sim, proxy, token } = await stack((s) => ({ transport: { gateways: { [s.gateways[1] as string]: { transport: 'mqtt' } } } }));
    const failing = sim.gateways[1] as string;
    sim.setFaults({ gateways: { [failing]: { http502: 1 } } });
    for (let i = 0; i < 5; i++) expect(await call(proxy, `/api/cassia/info?mac=${failing}&access_token=${token}`)).toBe(502);
    expect(find(await scrape(proxy.adminUrl), 'cassia_proxy_gateway_requests_total', { gateway: failing, code: '502' })[0]?.value).toBe(5);
  });

  it('a gateway named in a hub list that passed through keeps its own label while it fails', async () => {
    const { sim, proxy, token } = await stack();
    const failing = sim.gateways[2] as string;
    expect(await call(proxy, `/api/cassia/hubs?access_token=${token}`)).toBe(200);
    sim.setFaults({ gateways: { [failing]: { http504: 1, http504DelayMs: 1 } } });
    expect(await call(proxy, `/api/cassia/info?mac=${failing}&access_token=${token}`)).toBe(504);
    expect(await gatewayLabels(proxy)).toEqual([failing]);
  });
});
