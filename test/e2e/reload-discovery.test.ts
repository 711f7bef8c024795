// A reload that changes the upstream, the discovery credentials and the poll interval is followed
// by the hub poller: against two real simulators (different gateways, different OAuth clients),
// the proxy learns the second AC's hub list with the second AC's credentials, and then polls it at
// the new interval (a reboot on the second AC shows up as offline and back online, which the
// first configuration's one-hour interval could never show).
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { GatewayReport } from '../../src/report/types.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { until } from '../helpers/until.js';
import { getToken } from '../simulator/helpers.js';

const cleanup = cleanupAfterEach();

async function gateways(proxy: RunningProxy): Promise<GatewayReport[]> {
  const res = await fetch(`${proxy.adminUrl}/api/gateways`);
  return ((await res.json()) as { gateways: GatewayReport[] }).gateways;
}

async function gateway(proxy: RunningProxy, mac: string): Promise<GatewayReport | undefined> {
  return (await gateways(proxy)).find((g) => g.gateway === mac);
}

function discoveryConfig(sim: Simulator, interval: number): Config {
  return testConfig(sim.url, { discovery: { enabled: true, interval, key: sim.key, secret: sim.secret }, log: { access: false } });
}

describe('discovery follows a reload', () => {
  it('polls the new AC with the new credentials at the new interval', async () => {
    const a = await createSimulator({ gateways: 2, key: 'ac-a', secret: 'secret-a', seed: 1, profile: 'clean' });
    cleanup.track(a);
    const b = await createSimulator({ gateways: 5, key: 'ac-b', secret: 'secret-b', seed: 2, profile: 'clean', rebootMs: 1500 });
    cleanup.track(b);
    const only = b.gateways.filter((mac) => !a.gateways.includes(mac));
    expect(only.length).toBe(3);

    let next: Config = discoveryConfig(a, 3_600_000);
    const { log } = capturedLogger('error');
    const proxy = await startProxy(next, { log, reloadConfig: async () => next });
    cleanup.track(proxy);
    await until(async () => (await gateway(proxy, a.gateways[0] as string))?.online === true, 10_000, 'the first AC hub list');
    expect(await gateway(proxy, only[0] as string)).toBeUndefined();

    const interval = 200;
    next = discoveryConfig(b, interval);
    expect(await proxy.reload()).toEqual({ ok: true });
    // The first poll of the new poller: only the second AC has these gateways, and it accepts only
    // its own client.
    await until(async () => (await gateways(proxy)).filter((g) => only.includes(g.gateway) && g.online === true).length === 3, 10_000, 'the second AC hub list');

    // Then the interval: a reboot takes a gateway offline for 1.5 s, seen through later polls.
    const target = only[1] as string;
    const token = await getToken(b.url, b.key, b.secret);
    const res = await fetch(`${b.url}/api/cassia/reboot?mac=${target}&access_token=${token}`);
    expect(res.status).toBe(200);
    await until(async () => (await gateway(proxy, target))?.online === false, 10_000, 'the rebooting gateway seen offline');
    await until(async () => (await gateway(proxy, target))?.online === true, 10_000, 'the rebooted gateway seen online again');
  }, 40_000);
});
