/**
 * The verdicts through the real proxy in front of the real simulator, with a client calling every
 * gateway and holding a notification stream on each. The looks run on a faster clock (first look
 * after 1 s, one-second "minutes") so that a run takes seconds; the statistics are the product's.
 *
 * A/A runs are held to α = 0.001: the method promises at most that chance of a false verdict over
 * all looks, so a failure here is a defect with 99.9 % certainty, not bad luck.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import type { ProfileInput } from '../../src/simulator/profile.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { Config } from '../../src/config/types.js';
import type { TransportReport } from '../../src/report/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { simGatewayMap, simToken } from '../helpers/fault-run.js';
import { openSse } from '../helpers/sse-client.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

const FAST_LOOKS = { firstLookMs: 1000, minuteMs: 1000 };

/** The same faults on a transport's every gateway: 502/504, loss, and outages every few seconds. */
const LOSSY = { http502: 0.03, http504: 0.01, http504DelayMs: 5, drop: 0.02, offlineMeanIntervalS: 8, offlineMinS: 2.5, offlineMaxS: 4 };

interface Stack {
  sim: Simulator;
  proxy: RunningProxy;
  /** What the next reload (POST /-/reload) loads. */
  reloadTo(config: Config): void;
}

async function stack(profile: ProfileInput, seed: number, thresholds: { alpha?: number } = {}): Promise<Stack> {
  const sim = await createSimulator({ gateways: 8, capwap: 4, seed, connectedPerGateway: 3, notifyIntervalMs: 50, tickMs: 20, profile });
  defer(() => sim.close());
  const config = testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) }, log: { access: false } });
  let next = config;
  const proxy = await startProxy(config, {
    log: capturedLogger('error').log,
    report: { ...FAST_LOOKS, thresholds },
    reloadConfig: () => Promise.resolve(next),
  });
  defer(() => proxy.close());
  return { sim, proxy, reloadTo: (c) => { next = c; } };
}

/**
 * A client like an application's: per gateway, the connected-device list every ~20 ms and a
 * notification stream with sequence numbers, re-opened when an outage ends it.
 */
function drive(sim: Simulator, proxy: RunningProxy, token: string): () => void {
  let running = true;
  const loops: Array<Promise<void>> = [];
  const stop: Array<() => void> = [];
  for (const mac of sim.gateways) {
    loops.push((async () => {
      while (running) {
        const res = await request(`${proxy.proxyUrl}/api/gap/nodes?connection_state=connected&mac=${mac}`, { headers: { authorization: `Bearer ${token}` } })
          .catch(() => null);
        await res?.body.dump();
        await new Promise((r) => setTimeout(r, 20));
      }
    })());
    loops.push((async () => {
      while (running) {
        const s = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?event=1&sequence=2&mac=${mac}&access_token=${token}`).catch(() => null);
        if (s === null) continue;
        stop.push(() => s.close());
        await s.done;
        if (running) await new Promise((r) => setTimeout(r, 50));
      }
    })());
  }
  return () => {
    running = false;
    for (const s of stop) s();
    void Promise.allSettled(loops);
  };
}

async function report(proxy: RunningProxy): Promise<TransportReport> {
  const res = await request(`${proxy.adminUrl}/api/report`);
  return (await res.body.json()) as TransportReport;
}

describe('verdicts against the simulator', () => {
  it('A/A: the same faults and outages on both transports never advise a move, however often the report is read', async () => {
    const { sim, proxy } = await stack({ profile: 'clean', transports: { capwap: LOSSY, mqtt: LOSSY } }, 31, { alpha: 0.001 });
    const stop = drive(sim, proxy, await simToken(proxy, sim));
    defer(stop);
    const seen = new Set<string>();
    let last: TransportReport | null = null;
    // Read the report as a status page does, until the look at 8 s has been taken.
    await until(async () => {
      last = await report(proxy);
      for (const r of last.recommendations) seen.add(r.verdict);
      return (last.method.look?.index ?? 0) >= 4;
    }, 40_000, 'the look 8 s after the start', 100);
    stop();
    const final = last as unknown as TransportReport;
    expect([...seen]).not.toContain('move_to_mqtt');
    // It was tested, not merely undecided: every gateway had enough calls, and outages were told apart.
    const errors = final.transportComparison.find((t) => t.measure === 'errors');
    expect(errors?.missing).toBeNull();
    expect(errors?.capwap.gateways).toBe(4);
    expect(errors?.mqtt.gateways).toBe(4);
    expect(final.recommendations.map((r) => r.verdict)).toEqual(['no_clear_benefit', 'no_clear_benefit', 'no_clear_benefit', 'no_clear_benefit']);
    const outages = final.recommendations.reduce((n, r) => n + r.outages.outages, 0);
    expect(outages, 'outages detected on CAPWAP gateways').toBeGreaterThan(0);
  }, 60_000);

  it("A/B: the simulator's default profiles advise every CAPWAP gateway to move, on the evidence that decided", async () => {
    const { sim, proxy } = await stack({ profile: 'default', transports: { capwap: { http504DelayMs: 5 }, mqtt: { http504DelayMs: 5 } } }, 32);
    const stop = drive(sim, proxy, await simToken(proxy, sim));
    defer(stop);
    let last: TransportReport | null = null;
    await until(async () => {
      last = await report(proxy);
      return last.recommendations.length === 4 && last.recommendations.every((r) => r.verdict === 'move_to_mqtt');
    }, 40_000, 'move_to_mqtt for every CAPWAP gateway', 200);
    stop();
    const final = last as unknown as TransportReport;
    for (const r of final.recommendations) {
      expect(r.decidedBy.length).toBeGreaterThan(0);
      expect(r.confidence).toBeGreaterThan(0.99);
      expect(r.look?.index).toBeGreaterThanOrEqual(1);
      for (const m of r.decidedBy) expect(r[m]?.enough).toBe(true);
    }
    expect(final.transportComparison.some((t) => t.worse)).toBe(true);
  }, 60_000);

  it('a gateway relabelled MQTT with its faults unchanged shows no significant change', async () => {
    const { sim, proxy, reloadTo } = await stack({ profile: 'clean', transports: { capwap: LOSSY, mqtt: LOSSY } }, 33, { alpha: 0.001 });
    const moved = sim.gateways[0] as string;
    const stop = drive(sim, proxy, await simToken(proxy, sim));
    defer(stop);
    // Some "minutes" under CAPWAP with calls answered outside outages, then the operator says it
    // is on MQTT; the AC side is unchanged.
    await until(async () => {
      const r = await report(proxy);
      return (r.recommendations.find((x) => x.gateway === moved)?.errors.a.total ?? 0) >= 100 && (r.method.look?.index ?? 0) >= 3;
    }, 40_000, '100 answered calls under CAPWAP', 100);
    reloadTo(testConfig(sim.url, { transport: { gateways: { ...simGatewayMap(sim), [moved]: { transport: 'mqtt' } } }, log: { access: false } }));
    const reloaded = await request(`${proxy.adminUrl}/-/reload`, { method: 'POST' });
    expect(reloaded.statusCode).toBe(200);
    await reloaded.body.dump();
    const verdicts = new Set<string>();
    let change: TransportReport['transportChanges'][number] | undefined;
    await until(async () => {
      change = (await report(proxy)).transportChanges.find((c) => c.gateway === moved);
      if (change !== undefined) verdicts.add(change.verdict);
      return (change?.look?.index ?? 0) >= 4;
    }, 40_000, 'the look 8 s after the change', 100);
    stop();
    expect([...verdicts]).not.toContain('improved');
    expect([...verdicts]).not.toContain('worse');
    expect(change?.verdict, change?.reason).toBe('no_significant_change');
    expect(change?.errors.enough).toBe(true);
  }, 60_000);
});
