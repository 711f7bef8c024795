// Probe results as the gateway handles feed them: one increment goes to the probe metrics and to
// the report's probe counters of the gateway's segment, and nothing of it to the request figures.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/vocabulary.js';
import { testConfig } from '../helpers/config.js';
import { gatewayStack, type GatewayStack } from '../helpers/gateways.js';
import { find, parseMetrics, total } from '../helpers/metrics.js';

const A = 'CC:1B:E0:E0:00:01';
const B = 'CC:1B:E0:E0:00:02';
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

const stacks: GatewayStack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.state.close();
});

function setup() {
  const clock = { t: T0 };
  const config = testConfig('http://127.0.0.1:1', { transport: { gateways: { [A]: { transport: 'capwap' }, [B]: { transport: 'mqtt' } } } });
  const stack = gatewayStack(config, () => clock.t);
  stacks.push(stack);
  const probe = (mac: string, result: ProbeResult, rttMs: number, offline = false) =>
    stack.handle(mac).counts.probe(result, rttMs, offline, clock.t);
  const metrics = async () => parseMetrics(await stack.registry.metrics());
  return { clock, stack, probe, metrics };
}

describe('probe counts', () => {
  it('per result, offline apart, failure rate over the probes that reached the AC, RTT of answered ones', async () => {
    const { stack, probe, metrics } = setup();
    const results: Array<[ProbeResult, number]> = [
      ['ok', 20], ['ok', 30], ['ok', 40], ['502', 15], ['504', 3000], ['timeout', NaN], ['error', 25], ['unreachable', NaN],
    ];
    for (const [result, rtt] of results) probe(A, result, rtt);
    probe(A, '502', 5, true);
    probe(A, 'ok', 5, true);

    const g = stack.report.gateways().find((x) => x.gateway === A);
    expect(g?.probes.sinceStart).toMatchObject({
      sent: 8, ok: 3, status502: 1, status504: 1, timeout: 1, error: 1, unreachable: 1, offline: 2,
      failures: { count: 3, total: 7, rate: 3 / 7 },
      rttMs: { samples: 6 },
    });
    expect(g?.probes.sinceStart.failures.ci95?.[0]).toBeLessThan(3 / 7);
    expect(g?.probes.window).toEqual(g?.probes.sinceStart);
    // Probes are not the application's requests.
    expect(g?.sinceStart.requests).toBe(0);

    const samples = await metrics();
    for (const [result, count] of [['ok', 3], ['502', 1], ['504', 1], ['timeout', 1], ['error', 1], ['unreachable', 1]] as const) {
      expect(total(samples, 'cassia_proxy_probes_total', { gateway: A, transport: 'capwap', result })).toBe(count);
    }
    expect(total(samples, 'cassia_proxy_probes_offline_total', { gateway: A, result: '502' })).toBe(1);
    expect(total(samples, 'cassia_proxy_probes_offline_total', { gateway: A, result: 'ok' })).toBe(1);
    expect(total(samples, 'cassia_proxy_probe_duration_seconds_count', { transport: 'capwap' })).toBe(6);
    expect(total(samples, 'cassia_proxy_probe_duration_seconds_sum', { transport: 'capwap' })).toBeCloseTo((20 + 30 + 40 + 15 + 3000 + 25) / 1000, 6);
    expect(find(samples, 'cassia_proxy_gateway_requests_total')).toEqual([]);
  });

  it('last success is the time of the latest 2xx, offline or not', async () => {
    const { clock, probe, metrics } = setup();
    probe(B, 'ok', 10);
    clock.t += 30_000;
    probe(B, '502', 10);
    const last = () => metrics().then((s) => total(s, 'cassia_proxy_probe_last_success_timestamp_seconds', { gateway: B, transport: 'mqtt' }));
    expect(await last()).toBe(T0 / 1000);
    clock.t += 30_000;
    probe(B, 'ok', 10, true);
    expect(await last()).toBe((T0 + 60_000) / 1000);
  });

  it('per transport in /api/report, and the window forgets probes older than 15 minutes', () => {
    const { clock, stack, probe } = setup();
    probe(A, '504', 100);
    probe(B, 'ok', 10);
    probe(B, 'ok', 12);
    clock.t += 15 * 60_000;
    probe(B, 'timeout', NaN);
    const byTransport = Object.fromEntries(stack.report.report().transports.map((t) => [t.transport, t.probes]));
    expect(byTransport.capwap?.sinceStart).toMatchObject({ sent: 1, status504: 1, failures: { count: 1, total: 1 } });
    expect(byTransport.capwap?.window.sent).toBe(0);
    expect(byTransport.mqtt?.sinceStart).toMatchObject({ sent: 3, ok: 2, timeout: 1, failures: { count: 1, total: 3 } });
    expect(byTransport.mqtt?.window).toMatchObject({ sent: 1, timeout: 1, rttMs: { p50: null, samples: 0 } });
  });

  it('are zero, not absent, when nothing was probed', () => {
    const { stack } = setup();
    const g = stack.report.gateways().find((x) => x.gateway === A);
    expect(g?.probes.sinceStart).toMatchObject({ sent: 0, offline: 0, failures: { count: 0, total: 0, rate: null, ci95: null }, rttMs: { p50: null, samples: 0 } });
  });
});
