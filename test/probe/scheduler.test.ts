// The scheduler inside the real proxy, against a purpose-built AC that records when each call
// arrived: the pace at the AC, a fair share per gateway, reloads that change the interval or the
// credentials, a gateway taken out of the map, a token the AC stops accepting — and that the
// proxy never sends anything but the token request and the read-only probe call.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { scrape, total } from '../helpers/metrics.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { until } from '../helpers/until.js';

const cleanup = cleanupAfterEach();
const macs = (n: number): string[] => Array.from({ length: n }, (_, i) => `CC:1B:E0:E0:00:${String(i + 1).padStart(2, '0')}`);

interface Arrival { at: number; method: string; path: string; mac: string | null; authorization: string }

/** An AC that issues tokens `<key>-<n>` and answers the probe call; `refuse(token)` makes it answer 403 for that token. */
async function recordingAc(busy: ReadonlySet<string> = new Set()) {
  const arrivals: Arrival[] = [];
  const refused = new Set<string>();
  let issued = 0;
  const server = cleanup.track(await httpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://ac');
    const authorization = req.headers.authorization ?? '';
    arrivals.push({ at: performance.now(), method: req.method ?? '', path: url.pathname, mac: url.searchParams.get('mac'), authorization });
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/api/oauth2/token') {
        const key = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString().split(':')[0];
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token_type: 'bearer', access_token: `${key}-${++issued}`, expires_in: 3600 }));
      } else if (refused.has(authorization.replace(/^Bearer /, ''))) {
        res.statusCode = 403;
        res.end('{"error":"forbidden","error_description":"Token not found or expired"}');
      } else if (busy.has(url.searchParams.get('mac') ?? '')) {
        res.statusCode = 500;
        res.end('chip is busy');
      } else {
        res.setHeader('content-type', 'application/json');
        res.end('{"nodes":[]}');
      }
    });
  }));
  const probes = (since = 0): Arrival[] => arrivals.filter((a) => a.path !== '/api/oauth2/token' && a.at >= since);
  return { server, arrivals, probes, refuse: (token: string) => refused.add(token) };
}

function probeConfig(url: string, gateways: string[], probe: Partial<Config['probe']>, key = 'k'): Config {
  return testConfig(url, {
    transport: { gateways: Object.fromEntries(gateways.map((mac, i) => [mac, { transport: i % 2 === 0 ? 'capwap' : 'mqtt' }])) },
    discovery: { enabled: false, interval: 60_000, key, secret: 's' },
    probe: { enabled: true, interval: 1000, timeout: 2000, maxPerSecond: 100, call: 'connected-devices', ...probe },
    log: { level: 'warn', access: false },
  });
}

async function start(config: Config, next?: { current: Config }): Promise<RunningProxy> {
  const { log } = capturedLogger('warn');
  return cleanup.track(await startProxy(config, { log, ...(next ? { reloadConfig: () => Promise.resolve(next.current) } : {}) }));
}

const countBy = (list: Arrival[]): Map<string, number> => {
  const out = new Map<string, number>();
  for (const a of list) out.set(a.mac ?? '', (out.get(a.mac ?? '') ?? 0) + 1);
  return out;
};

describe('probe scheduler', () => {
  it('never starts more than maxPerSecond probes in any second at the AC, and shares them fairly', async () => {
    const ac = await recordingAc();
    const gateways = macs(8);
    // 8 gateways every 1 s would be 8/s: the cap of 4/s stretches each gateway's turn to 2 s.
    const proxy = await start(probeConfig(ac.server.url, gateways, { interval: 1000, maxPerSecond: 4 }));
    await until(() => ac.probes().length >= 17, 15_000, '17 probes');
    const starts = ac.probes().map((a) => a.at);
    // The proxy starts probes at least 250 ms apart; their arrival at the AC carries a few ms of
    // socket jitter, so a window a little shorter than a second is what the AC can rely on.
    for (const [i, t] of starts.entries()) {
      const inSecond = starts.filter((s) => s >= t && s < t + 950).length;
      expect(inSecond, `probes in the 950 ms after probe ${i}`).toBeLessThanOrEqual(4);
    }
    expect((starts.length - 1) / (((starts.at(-1) ?? 0) - (starts[0] ?? 0) + 50) / 1000)).toBeLessThanOrEqual(4);
    const counts = [...countBy(ac.probes()).values()];
    expect(counts).toHaveLength(8);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const samples = await scrape(proxy.adminUrl);
    expect(total(samples, 'cassia_proxy_probe_targets')).toBe(8);
    expect(total(samples, 'cassia_proxy_probe_interval_seconds')).toBe(2);
    // Only the token request and the read-only probe call ever reached the AC.
    expect(new Set(ac.arrivals.map((a) => `${a.method} ${a.path}`))).toEqual(new Set(['POST /api/oauth2/token', 'GET /api/gap/nodes']));
    // And none of it is the application's traffic.
    expect(total(samples, 'cassia_proxy_requests_total')).toBe(0);
  });

  it('spreads probes over the interval: no burst, each gateway once per interval', async () => {
    const ac = await recordingAc();
    const gateways = macs(4);
    await start(probeConfig(ac.server.url, gateways, { interval: 800, maxPerSecond: 100 }));
    await until(() => ac.probes().length >= 13, 15_000, '13 probes');
    const starts = ac.probes().map((a) => a.at);
    // Turns are 200 ms apart, ±10 % jitter, and a late timer is made up for by at most another
    // 10 %: never two probes close together. Arrival times also carry the event loop's delays in
    // this process (the recording AC and the proxy share it; a stall of tens of ms on a loaded
    // machine lands on one arrival and shortens one gap), so each gap is held to half a turn — a
    // burst is two probes within a few ms — and every two neighbouring gaps together to 1.5 turns.
    const gap = (i: number): number => (starts[i] ?? 0) - (starts[i - 1] ?? 0);
    for (let i = 1; i < starts.length; i++) expect(gap(i), `gap ${i}`).toBeGreaterThan(200 * 0.5);
    for (let i = 2; i < starts.length; i++) expect(gap(i) + gap(i - 1), `gaps ${i - 1} and ${i}`).toBeGreaterThan(2 * 200 * 0.75);
    for (const mac of gateways) {
      const own = ac.probes().filter((a) => a.mac === mac).map((a) => a.at);
      expect(own.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < own.length; i++) expect((own[i] ?? 0) - (own[i - 1] ?? 0)).toBeGreaterThan(800 * 0.6);
    }
    // And the pace keeps up with the interval: 4 gateways every 800 ms is 5 per second.
    expect((starts.length - 1) / (((starts.at(-1) ?? 0) - (starts[0] ?? 0)) / 1000)).toBeGreaterThan(5 * 0.9);
  });

  it('follows a reload that changes the interval, and one that changes the credentials', async () => {
    const ac = await recordingAc();
    const gateways = macs(2);
    const next = { current: probeConfig(ac.server.url, gateways, { interval: 60_000 }) };
    const proxy = await start(next.current, next);
    // 2 gateways every minute: one turn every 30 s, so the first probe only.
    await until(() => ac.probes().length >= 1, 5000, 'the first probe');
    const reloadedAt = performance.now();
    next.current = probeConfig(ac.server.url, gateways, { interval: 600 });
    expect(await proxy.reload()).toEqual({ ok: true });
    // At the old pace no gateway would be probed again for a minute.
    await until(() => gateways.every((mac) => ac.probes(reloadedAt).filter((a) => a.mac === mac).length >= 3), 8000, 'three probes per gateway at the new interval');

    const rotatedAt = performance.now();
    next.current = probeConfig(ac.server.url, gateways, { interval: 600 }, 'rotated');
    expect(await proxy.reload()).toEqual({ ok: true });
    await until(() => ac.probes(rotatedAt).filter((a) => a.authorization.startsWith('Bearer rotated-')).length >= 4, 8000, 'probes with the new credentials');
    const tokenRequests = ac.arrivals.filter((a) => a.path === '/api/oauth2/token' && a.at >= rotatedAt);
    expect(tokenRequests.map((a) => a.authorization)).toEqual([`Basic ${Buffer.from('rotated:s').toString('base64')}`]);
    // Once the new token is in use, the old one is never sent again.
    const firstNew = ac.probes(rotatedAt).findIndex((a) => a.authorization.startsWith('Bearer rotated-'));
    expect(ac.probes(rotatedAt).slice(firstNew).every((a) => a.authorization.startsWith('Bearer rotated-'))).toBe(true);
  });

  it('stops probing a gateway taken out of the gateway map', async () => {
    const ac = await recordingAc();
    const gateways = macs(3);
    const next = { current: probeConfig(ac.server.url, gateways, { interval: 600 }) };
    const proxy = await start(next.current, next);
    await until(() => (countBy(ac.probes()).get(gateways[2] ?? '') ?? 0) >= 2, 5000, 'the third gateway probed');
    next.current = probeConfig(ac.server.url, gateways.slice(0, 2), { interval: 600 });
    expect(await proxy.reload()).toEqual({ ok: true });
    // A probe already in flight at the reload may still arrive; none may start after it answered.
    const after = performance.now() + 100;
    await until(() => gateways.slice(0, 2).every((mac) => ac.probes(after).filter((a) => a.mac === mac).length >= 3), 8000, 'three more rounds');
    expect(ac.probes(after).filter((a) => a.mac === gateways[2])).toEqual([]);
    expect(total(await scrape(proxy.adminUrl), 'cassia_proxy_probe_targets')).toBe(2);
  });

  it('asks once more with a fresh token when the AC stops accepting its token: no probe fails for it', async () => {
    const ac = await recordingAc();
    const gateways = macs(2);
    const proxy = await start(probeConfig(ac.server.url, gateways, { interval: 500 }));
    await until(() => ac.probes().length >= 2, 5000, 'probes with the first token');
    ac.refuse('k-1');
    await until(() => ac.probes().filter((a) => a.authorization === 'Bearer k-2').length >= 4, 8000, 'probes with the second token');
    const refusedProbes = ac.probes().filter((a) => a.authorization === 'Bearer k-1').length;
    const samples = await scrape(proxy.adminUrl);
    // Every probe sent answered ok except the refused ones, each of which was asked again.
    const okProbes = total(samples, 'cassia_proxy_probes_total', { result: 'ok' });
    expect(total(samples, 'cassia_proxy_probes_total')).toBe(okProbes);
    expect(ac.arrivals.filter((a) => a.path === '/api/oauth2/token')).toHaveLength(2);
    expect(refusedProbes).toBeGreaterThanOrEqual(3);
  });

  it('backs off a gateway that answers chip is busy, and counts its answers as error', async () => {
    const gateways = macs(2);
    const ac = await recordingAc(new Set([gateways[0] ?? '']));
    const proxy = await start(probeConfig(ac.server.url, gateways, { interval: 300 }));
    // 16 turns each: the healthy gateway is probed on every one; the busy one on turns 1, 3, 7
    // and 15 (sitting out 1, 3, then 7 turns).
    await until(() => ac.probes().filter((a) => a.mac === gateways[1]).length >= 16, 10_000, '16 probes of the healthy gateway');
    const busy = ac.probes().filter((a) => a.mac === gateways[0]).length;
    expect(busy).toBeGreaterThanOrEqual(3);
    expect(busy).toBeLessThanOrEqual(5);
    // Every answer the AC gave is recorded as an error (the last one may still be on its way).
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_probes_total', { gateway: gateways[0] ?? '', result: 'error' })
      === ac.probes().filter((a) => a.mac === gateways[0]).length, 3000, 'the busy answers recorded', 100);
  });

  it('is off by default: nothing but the application reaches the AC', async () => {
    const ac = await recordingAc();
    const config = probeConfig(ac.server.url, macs(2), { enabled: false });
    const proxy = await start(config);
    const res = await fetch(`${proxy.proxyUrl}/api/cassia/info?mac=${macs(1)[0]}`);
    await res.text();
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total') === 1, 5000, 'the one request recorded');
    expect(ac.arrivals.map((a) => a.path)).toEqual(['/api/cassia/info']);
    const samples = await scrape(proxy.adminUrl);
    expect([total(samples, 'cassia_proxy_probe_targets'), total(samples, 'cassia_proxy_probes_total')]).toEqual([0, 0]);
  });
});
