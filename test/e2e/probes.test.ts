// Probes through the real proxy against the real simulator, with no client traffic at all: every
// gateway is measured, the counts per gateway and result equal what the simulator answered (its
// truth), a token that expires mid-run costs no probe, and an AC that cannot be reached shows as
// `unreachable` while the proxy goes on serving.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { createSimulator, type Simulator, type SimulatorOptions, type Truth } from '../../src/simulator/index.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { simGatewayMap, simToken } from '../helpers/fault-run.js';
import { scrape, total, type Sample } from '../helpers/metrics.js';
import { capturedLogger, closedPort } from '../helpers/servers.js';
import { until } from '../helpers/until.js';

const cleanup = cleanupAfterEach();
const RESULTS = ['ok', '502', '504', 'timeout', 'error', 'unreachable'] as const;

function config(upstream: string, sim: Simulator | null, probe: Partial<Config['probe']>, extra: Partial<Config> = {}): Config {
  return testConfig(upstream, {
    transport: { gateways: sim ? simGatewayMap(sim) : {} },
    discovery: { enabled: sim !== null, interval: 1000, key: sim?.key ?? 'sim-key', secret: sim?.secret ?? 'sim-secret' },
    probe: { enabled: true, interval: 500, timeout: 2000, maxPerSecond: 50, call: 'connected-devices', ...probe },
    log: { level: 'warn', access: false },
    ...extra,
  });
}

async function start(initial: Config, next: { current: Config }): Promise<RunningProxy> {
  const { log } = capturedLogger('warn');
  return cleanup.track(await startProxy(initial, { log, reloadConfig: () => Promise.resolve(next.current) }));
}

/** Probe counts of one gateway by result, both families (a probe of a gateway known offline counts apart). */
function probeCounts(samples: Sample[], gateway: string): Record<(typeof RESULTS)[number] | 'offline', number> {
  const out = { offline: total(samples, 'cassia_proxy_probes_offline_total', { gateway }) } as Record<(typeof RESULTS)[number] | 'offline', number>;
  for (const result of RESULTS) {
    out[result] = total(samples, 'cassia_proxy_probes_total', { gateway, result }) + total(samples, 'cassia_proxy_probes_offline_total', { gateway, result });
  }
  return out;
}
const answered = (c: ReturnType<typeof probeCounts>): number => c.ok + c['502'] + c['504'] + c.error;

/** The parts of /api/gateways and /api/report the probe test reads. */
type GatewaysPage = { gateways: Array<{ gateway: string; probes: { sinceStart: { sent: number; offline: number } }; sinceStart: { requests: number } }> };
type ReportPage = { transports: Array<{ transport: string; probes: { sinceStart: { sent: number; failures: { count: number } } } }> };
interface Snapshot { truth: Truth; samples: Sample[]; gateways: GatewaysPage; report: ReportPage }

/**
 * Once probing has stopped: the truth, the metrics and both JSON pages read while nothing moved
 * (the pages between two scrapes with the same probe counts, and two equal truths), with every
 * answer the simulator gave recorded. A probe still in flight would otherwise land between reads.
 */
async function settled(adminUrl: string, sim: Simulator): Promise<Snapshot> {
  const figures = (samples: Sample[]): string => JSON.stringify(sim.gateways.map((g) => probeCounts(samples, g)));
  let snap: Snapshot | null = null;
  await until(async () => {
    const truth = sim.truth();
    const samples = await scrape(adminUrl);
    const gateways = (await (await fetch(`${adminUrl}/api/gateways`)).json()) as GatewaysPage;
    const report = (await (await fetch(`${adminUrl}/api/report`)).json()) as ReportPage;
    const still = figures(await scrape(adminUrl)) === figures(samples) && JSON.stringify(sim.truth()) === JSON.stringify(truth);
    const landed = sim.gateways.every((g) => answered(probeCounts(samples, g)) === truth.gateways[g]?.requests.total);
    if (still && landed) snap = { truth, samples, gateways, report };
    return snap !== null;
  }, 5000, 'the last probes recorded, and no count moving between two reads', 100);
  return snap as unknown as Snapshot;
}

describe('probes against the simulator, no client traffic', () => {
  it('every gateway is probed; counts per gateway and result equal the simulator\'s truth; the token expires mid-run without a false failure', async () => {
    const TTL_S = 5;
    const options: SimulatorOptions = {
      gateways: 6, capwap: 3, seed: 20, tokenTtlSeconds: TTL_S,
      profile: {
        profile: 'clean',
        transports: {
          capwap: { http502: 0.12, http504: 0.08, http504DelayMs: 30, latencyMs: 2, jitterMs: 10, offlineMeanIntervalS: 3, offlineMinS: 1, offlineMaxS: 2 },
          mqtt: { http502: 0.02, latencyMs: 1, jitterMs: 4 },
        },
      },
    };
    const sim = cleanup.track(await createSimulator(options));
    const next = { current: config(sim.url, sim, {}) };
    const proxy = await start(next.current, next);
    const startedAt = Date.now();

    // Truth read before and after the metrics: the proxy's counts lie between, while probes run.
    const between = async (): Promise<void> => {
      const before = sim.truth();
      const samples = await scrape(proxy.adminUrl);
      const after = sim.truth();
      for (const gateway of sim.gateways) {
        const c = probeCounts(samples, gateway);
        const [b, a] = [before.gateways[gateway]?.requests, after.gateways[gateway]?.requests];
        for (const [mine, key] of [[answered(c), 'total'], [c['502'], '502'], [c['504'], '504']] as const) {
          expect(mine, `${gateway} ${key}`).toBeGreaterThanOrEqual(b?.[key] ?? 0);
          expect(mine, `${gateway} ${key}`).toBeLessThanOrEqual(a?.[key] ?? 0);
        }
      }
    };
    const probedEnough = async (): Promise<boolean> => {
      await between();
      const samples = await scrape(proxy.adminUrl);
      return Date.now() - startedAt > (2 * TTL_S + 1) * 1000 && sim.gateways.every((g) => answered(probeCounts(samples, g)) >= 10);
    };
    await until(probedEnough, 25_000, 'two token lifetimes and 10 answered probes per gateway', 500);

    // Stop probing and let the last answers land. A probe still in flight would land between two
    // reads, so every figure below comes from one snapshot: the JSON pages read between two scrapes
    // and two truths that agree, with the counts equal to the truth.
    next.current = config(sim.url, sim, { enabled: false });
    expect(await proxy.reload()).toEqual({ ok: true });
    const snap = await settled(proxy.adminUrl, sim);
    const { truth, samples } = snap;

    let faults = 0;
    let offline = 0;
    for (const gateway of sim.gateways) {
      const gt = truth.gateways[gateway]?.requests ?? { total: -1, '502': -1, '504': -1 };
      const c = probeCounts(samples, gateway);
      // The probe call has no gateway-side errors, and a 403 (an expired token) would be an error answer.
      expect({ total: answered(c), '502': c['502'], '504': c['504'], ok: c.ok, error: c.error, timeout: c.timeout, unreachable: c.unreachable }, gateway)
        .toEqual({ total: gt.total, '502': gt['502'], '504': gt['504'], ok: gt.total - gt['502'] - gt['504'], error: 0, timeout: 0, unreachable: 0 });
      faults += gt['502'] + gt['504'];
      offline += c.offline;
    }
    // The run really injected faults, and outages were counted apart.
    expect(faults).toBeGreaterThan(10);
    expect(offline).toBeGreaterThan(0);

    // The JSON says the same, per gateway and per transport; the application's figures stay empty.
    const { gateways } = snap.gateways;
    for (const gateway of sim.gateways) {
      const g = gateways.find((x) => x.gateway === gateway);
      expect(g?.probes.sinceStart.sent).toBe(total(samples, 'cassia_proxy_probes_total', { gateway }));
      expect(g?.probes.sinceStart.offline).toBe(total(samples, 'cassia_proxy_probes_offline_total', { gateway }));
      expect(g?.sinceStart.requests).toBe(0);
    }
    const { report } = snap;
    const capwap = report.transports.find((t) => t.transport === 'capwap')?.probes.sinceStart;
    const mqtt = report.transports.find((t) => t.transport === 'mqtt')?.probes.sinceStart;
    expect(capwap?.sent).toBe(total(samples, 'cassia_proxy_probes_total', { transport: 'capwap' }));
    expect(mqtt?.sent).toBe(total(samples, 'cassia_proxy_probes_total', { transport: 'mqtt' }));
    expect(capwap?.failures.count).toBeGreaterThan(mqtt?.failures.count ?? Infinity);
    expect(total(samples, 'cassia_proxy_requests_total')).toBe(0);
    expect(total(samples, 'cassia_proxy_gateway_requests_total')).toBe(0);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
    for (const gateway of sim.gateways) expect(total(samples, 'cassia_proxy_probe_last_success_timestamp_seconds', { gateway })).toBeGreaterThan(startedAt / 1000);
  }, 40_000);

  it('a gateway that answers later than probe.timeout counts timeout, not 504', async () => {
    const sim = cleanup.track(await createSimulator({ gateways: 2, capwap: 1, profile: { profile: 'clean', gateways: { 'CC:1B:E0:E0:00:01': { latencyMs: 1500 } } } }));
    const next = { current: config(sim.url, sim, { interval: 400, timeout: 200 }) };
    const proxy = await start(next.current, next);
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_probes_total', { gateway: 'CC:1B:E0:E0:00:01', result: 'timeout' }) >= 2, 8000, 'two timeouts', 100);
    const samples = await scrape(proxy.adminUrl);
    expect(total(samples, 'cassia_proxy_probes_total', { gateway: 'CC:1B:E0:E0:00:01', result: '504' })).toBe(0);
    expect(total(samples, 'cassia_proxy_probes_total', { gateway: 'CC:1B:E0:E0:00:02', result: 'ok' })).toBeGreaterThanOrEqual(2);
    // A timed-out probe has no round trip to report, and the simulator delivered no answer for it.
    expect(total(samples, 'cassia_proxy_probe_duration_seconds_count', { transport: 'capwap' })).toBe(0);
    expect(sim.truth().gateways['CC:1B:E0:E0:00:01']?.requests.total).toBe(0);
  });

  it('the AC down counts unreachable, and the proxy keeps serving; the AC back, probes answer again', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const gateways = { 'CC:1B:E0:E0:00:01': { transport: 'capwap' as const }, 'CC:1B:E0:E0:00:02': { transport: 'mqtt' as const } };
    const initial = config(down, null, { interval: 300 }, { transport: { default: 'unknown', expected: null, gateways } });
    const next = { current: initial };
    const proxy = await start(initial, next);
    await until(async () => {
      const samples = await scrape(proxy.adminUrl);
      return Object.keys(gateways).every((gateway) => total(samples, 'cassia_proxy_probes_total', { gateway, result: 'unreachable' }) >= 2);
    }, 8000, 'two unreachable probes per gateway', 100);
    // Applications still get the proxy's own answer, at once; the admin side still serves.
    const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`);
    await res.body.dump();
    expect([res.statusCode, res.headers['x-cassia-proxy-error']]).toEqual([502, 'connect_error']);
    expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
    // Probes go on every 300 ms: the report is read between two scrapes that agree, so none landed between.
    type ProbeReport = { transports: Array<{ transport: string; probes: { sinceStart: { unreachable: number; failures: { total: number } } } }> };
    const unreachable = (samples: Sample[]): number => total(samples, 'cassia_proxy_probes_total', { transport: 'capwap', result: 'unreachable' });
    let failures: Sample[] = [];
    let report: ProbeReport | null = null;
    await until(async () => {
      failures = await scrape(proxy.adminUrl);
      report = (await (await fetch(`${proxy.adminUrl}/api/report`)).json()) as ProbeReport;
      return unreachable(await scrape(proxy.adminUrl)) === unreachable(failures);
    }, 5000, 'a report read while no probe landed', 20);
    // An AC out of reach says nothing about the link: not in the failure rate.
    const capwap = (report as ProbeReport | null)?.transports.find((t) => t.transport === 'capwap')?.probes.sinceStart;
    expect(capwap?.unreachable).toBe(unreachable(failures));
    expect(capwap?.failures.total).toBe(0);

    const sim = cleanup.track(await createSimulator({ gateways: 2, capwap: 1, profile: 'clean' }));
    next.current = { ...config(sim.url, sim, { interval: 300 }) };
    expect(await proxy.reload()).toEqual({ ok: true });
    await until(async () => {
      const samples = await scrape(proxy.adminUrl);
      return sim.gateways.every((gateway) => total(samples, 'cassia_proxy_probes_total', { gateway, result: 'ok' }) >= 1);
    }, 8000, 'probes answered again', 100);
    const token = await simToken(proxy, sim);
    const info = await request(`${proxy.proxyUrl}/api/cassia/info?mac=${sim.gateways[0]}&access_token=${token}`);
    await info.body.dump();
    expect(info.statusCode).toBe(200);
  });
});
