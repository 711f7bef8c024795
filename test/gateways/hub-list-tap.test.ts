import { describe, expect, it } from 'vitest';
import { createHubListTaps } from '../../src/gateways/hub-list-tap.js';
import { testConfig } from '../helpers/config.js';
import { gatewayStack } from '../helpers/gateways.js';
import { find, parseMetrics } from '../helpers/metrics.js';

function setup() {
  const { registry, state } = gatewayStack(testConfig('http://127.0.0.1:1'));
  let t = 1_000_000;
  const taps = createHubListTaps(state, 1000, () => t);
  return { registry, taps, advance: (ms: number) => { t += ms; } };
}

const hubs = (status: string): Buffer => Buffer.from(JSON.stringify([{ mac: 'cc:1b:e0:e0:00:01', name: 'dock', model: 'X2000', version: '2.0.3', status }]));

describe('hub-list taps', () => {
  it('learn identity and status from a hub list split across chunks', async () => {
    const { registry, taps } = setup();
    const tap = taps('/api/cassia/hubs', 200);
    const body = hubs('online');
    tap?.write(body.subarray(0, 17));
    tap?.write(body.subarray(17));
    tap?.close();
    const samples = parseMetrics(await registry.metrics());
    expect(find(samples, 'cassia_proxy_gateway_info')[0]?.labels).toEqual({ gateway: 'CC:1B:E0:E0:00:01', transport: 'unknown', name: 'dock', model: 'X2000', version: '2.0.3' });
    expect(find(samples, 'cassia_proxy_gateway_online')[0]?.value).toBe(1);
  });

  it.each([
    ['/api/cassia/hubs', 500],
    ['/api/cassia/info', 200],
  ])('ignore %s answered %i', (route, status) => {
    expect(setup().taps(route, status)).toBeNull();
  });

  it('analyse at most one hub list per interval, so a flood of polls costs nothing', async () => {
    const { registry, taps, advance } = setup();
    const first = taps('/api/cassia/hubs', 200);
    first?.write(hubs('online'));
    first?.close();
    advance(500);
    expect(taps('/api/cassia/hubs/{mac}', 200)).toBeNull();
    advance(500);
    const later = taps('/api/cassia/hubs', 200);
    later?.write(hubs('offline'));
    later?.close();
    const samples = parseMetrics(await registry.metrics());
    expect(find(samples, 'cassia_proxy_gateway_online')[0]?.value).toBe(0);
    expect(find(samples, 'cassia_proxy_gateway_status_changes_total')[0]?.value).toBe(1);
  });
});
