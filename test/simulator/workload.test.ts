/** The demo workload against the simulator directly: tokens, streams kept open, device sessions, clean stop. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkload } from '../../src/demo/workload.js';
import { nextBackoff, tokenExpiringSoon } from '../../src/demo/workload-util.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { until } from '../helpers/until.js';

describe('workload helpers', () => {
  it.each([
    [3_600_000, 3_600_000 - 31_000, false],
    [3_600_000, 3_600_000 - 30_000, true],
    [2_000, 1_700, false],
    [2_000, 1_800, true],
  ])('token with ttl %i ms at %i ms is expiring soon: %s', (ttl, elapsed, expected) => {
    expect(tokenExpiringSoon(ttl, ttl, elapsed)).toBe(expected);
  });

  it('backs off from 250 ms doubling to 10 s with jitter', () => {
    let b = 0;
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) seen.push((b = nextBackoff(b)));
    expect(seen[0]).toBeGreaterThanOrEqual(200);
    expect(seen[0]).toBeLessThanOrEqual(300);
    expect(Math.max(...seen)).toBeLessThanOrEqual(12_000);
    expect(seen.at(-1)).toBeGreaterThanOrEqual(8_000);
  });
});

describe('workload against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await createSimulator({ gateways: 2, capwap: 1, devicesPerGateway: 6, profile: 'clean', tokenTtlSeconds: 1,
      keepaliveMs: 200, scanIntervalMs: 200, notifyIntervalMs: 200, key: 'wk', secret: 'ws' });
  });
  afterAll(() => sim.close());

  it('gets and refreshes tokens, keeps scan and notification streams open per gateway, uses devices, re-opens ended streams, stops fast', async () => {
    const w = startWorkload({ baseUrl: sim.url, key: 'wk', secret: 'ws', deviceActivityMs: 300 });
    try {
      // Tokens last 1 s: a second one means the workload refreshed.
      await until(() => {
        const now = w.stats();
        const truth = sim.truth();
        return now.streamsOpen === 4 && now.tokensIssued >= 2 && now.events > 20 && now.keepalives > 0 && now.connects > 0
          && now.reads + now.writes + now.discoveries > 0
          && sim.gateways.every((g) => (truth.gateways[g]?.streams.notification.delivered ?? 0) > 0 && (truth.gateways[g]?.requests.total ?? 0) > 2);
      }, 20_000, 'open streams, a refreshed token, events, keep-alives and device sessions on both gateways');
      let s = w.stats();
      expect(s.gateways).toBe(2);
      expect(s.streamsOpen).toBe(4);
      expect(s.tokensIssued).toBeGreaterThanOrEqual(2);
      expect(s.events).toBeGreaterThan(20);
      expect(s.keepalives).toBeGreaterThan(0);
      expect(s.connects).toBeGreaterThan(0);
      expect(s.reads + s.writes + s.discoveries).toBeGreaterThan(0);
      const truth = sim.truth();
      for (const g of sim.gateways) {
        expect(truth.gateways[g]?.streams.notification.delivered).toBeGreaterThan(0);
        expect(truth.gateways[g]?.requests.total).toBeGreaterThan(2);
      }
      // acBatch.js-style sessions: queued with POST /gap/batch-connect, which the simulator counts under the gateway.
      await until(() => w.stats().batchConnects > 0, 10_000, 'a batch-connect session');
      const opened = w.stats().streamsOpened;
      sim.closeStreams();
      // The workload re-opens ended streams after a short backoff.
      await until(() => w.stats().streamsOpened >= opened + 4 && w.stats().streamsOpen === 4, 20_000, 'the four streams re-opened');
      s = w.stats();
      expect(s.streamsOpened).toBeGreaterThanOrEqual(opened + 4);
      expect(s.streamsOpen).toBe(4);
    } finally {
      const started = Date.now();
      await w.stop();
      expect(Date.now() - started).toBeLessThan(3000);
    }
    expect(w.stats().streamsOpen).toBe(0);
  });
});
