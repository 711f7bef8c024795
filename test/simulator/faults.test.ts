/** Fault injection: rates within statistical bounds, determinism per seed, offline periods, run-time changes. */
import { describe, expect, it } from 'vitest';
import { createSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { getToken, openStream } from './helpers.js';
import { deadline, until } from '../helpers/until.js';

/**
 * Sends `count` calls naming the first gateway, `parallel` at a time, and more until `minMs` have
 * passed since the first; returns the statuses in order.
 */
async function statuses(url: string, mac: string, token: string, count: number, parallel = 1, minMs = 0): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count || performance.now() - start < minMs) {
      const i = next++;
      const res = await fetch(`${url}/api/cassia/info?mac=${mac}&access_token=${token}`);
      await res.arrayBuffer();
      out[i] = res.status;
    }
  }));
  return out;
}

const within = (observed: number, n: number, p: number): void => {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `observed ${observed} of ${n} at p=${p}`).toBeLessThan(4.5 * sigma + 1);
};

describe('simulator faults', () => {
  it('answers 502 and 504 at the profile rates, and the truth counts exactly what was answered', async () => {
    const sim = await createSimulator({ gateways: 1, seed: 7, profile: { profile: 'clean', transports: { capwap: { http502: 0.1, http504: 0.05, http504DelayMs: 1 } } } });
    try {
      const mac = sim.gateways[0] ?? '';
      const got = await statuses(sim.url, mac, await getToken(sim.url), 1500, 16);
      const n502 = got.filter((s) => s === 502).length;
      const n504 = got.filter((s) => s === 504).length;
      within(n502, 1500, 0.1);
      within(n504, 1500, 0.05);
      expect(got.filter((s) => s !== 200 && s !== 502 && s !== 504)).toEqual([]);
      expect(sim.truth().gateways[mac]?.requests).toEqual({ total: 1500, '502': n502, '504': n504 });
    } finally {
      await sim.close();
    }
  });

  it('bursts: while the link is in its bad state calls fail at the burst rate, so failures come in runs', async () => {
    // Good and bad states of 150 ms each: every call fails in the bad state, none in the good one.
    // The states are seeded but follow the clock, so the calls run for a fixed 1.5 s (about ten
    // states): a count of calls would cover more or fewer states as the machine is fast or slow.
    const sim = await createSimulator({ gateways: 1, seed: 11, profile: { profile: 'clean', transports: {
      capwap: { burstGoodMeanS: 0.15, burstBadMeanS: 0.15, burstHttp502: 1 } } } });
    try {
      const mac = sim.gateways[0] ?? '';
      const got = await statuses(sim.url, mac, await getToken(sim.url), 1200, 1, 1500);
      const failed = got.filter((s) => s === 502).length;
      let runs = 0;
      for (let i = 0; i < got.length; i++) if (got[i] === 502 && got[i - 1] !== 502) runs++;
      // Half the time bad; with independent failures at that rate a run would average 2 calls.
      expect(failed / got.length).toBeGreaterThan(0.2);
      expect(failed / got.length).toBeLessThan(0.8);
      expect(failed / runs, `${failed} failures in ${runs} runs`).toBeGreaterThan(5);
      expect(sim.truth().gateways[mac]?.requests).toEqual({ total: got.length, '502': failed, '504': 0 });
    } finally {
      await sim.close();
    }
  });

  it('drops, duplicates and reorders sequenced events at the profile rates', async () => {
    const sim = await createSimulator({ gateways: 1, connectedPerGateway: 10, devicesPerGateway: 10, notifyIntervalMs: 10, tickMs: 10,
      seed: 3, profile: { profile: 'clean', transports: { capwap: { drop: 0.1, duplicate: 0.05, reorder: 0.05 } } } });
    try {
      const mac = sim.gateways[0] ?? '';
      const s = await openStream(`${sim.url}/api/gatt/nodes?event=1&sequence=2&mac=${mac}&access_token=${await getToken(sim.url)}`);
      // About 2 s of events at 1000 a second: enough for the statistical bounds below.
      await until(() => s.events.length >= 2000, 20_000, '2000 notification events');
      sim.closeStreams();
      await s.ended;
      const t = sim.truth().gateways[mac]?.streams.notification;
      if (!t) throw new Error('no truth');
      expect(t.delivered).toBe(s.events.length);
      // Events the generator made (the first of each of the 10 sources is never faulted).
      const opportunities = t.delivered - t.duplicated - t.reordered + t.dropped - 10;
      expect(opportunities).toBeGreaterThan(1000);
      within(t.dropped, opportunities, 0.1);
      within(t.duplicated, opportunities, 0.05);
      // The event after a held one is never faulted, so reorders are a little rarer than 5 %.
      within(t.reordered, opportunities, 0.05 * 0.95);
    } finally {
      await sim.close();
    }
  });

  it('is deterministic for a seed: same calls and events give the same faults; another seed differs', async () => {
    const options = (seed: number): SimulatorOptions => ({ gateways: 1, seed, connectedPerGateway: 1, devicesPerGateway: 3, notifyIntervalMs: 5, tickMs: 5,
      profile: { profile: 'clean', transports: { capwap: { http502: 0.2, http504: 0.1, http504DelayMs: 1, drop: 0.1, duplicate: 0.1, reorder: 0.1 } } } });
    async function run(seed: number): Promise<{ codes: number[]; seqs: unknown[] }> {
      const sim = await createSimulator(options(seed));
      try {
        const mac = sim.gateways[0] ?? '';
        const token = await getToken(sim.url);
        const codes = await statuses(sim.url, mac, token, 200);
        const sse = `${sim.url}/api/gatt/nodes?event=1&sequence=2&mac=${mac}&access_token=${token}`;
        let stream = await openStream(sse);
        while (stream.status !== 200) stream = await openStream(sse);
        await until(() => stream.events.length >= 150, 20_000, '150 notification events');
        stream.close();
        return { codes, seqs: stream.events.slice(0, 150).map((e) => e.seqNum) };
      } finally {
        await sim.close();
      }
    }
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b.codes).toEqual(a.codes);
    expect(b.seqs).toEqual(a.seqs);
    expect(c.codes).not.toEqual(a.codes);
    expect(new Set(a.codes)).toEqual(new Set([200, 502, 504]));
  });

  it('takes a gateway offline: its streams end, hub status and ap_state say so, calls get 502; clean brings it back', async () => {
    const sim = await createSimulator({ gateways: 2, capwap: 1, profile: 'clean' });
    try {
      const [g1, g2] = sim.gateways as [string, string];
      const token = await getToken(sim.url);
      const hub = await openStream(`${sim.url}/api/cassia/hubStatus?access_token=${token}`);
      const combined = await openStream(`${sim.url}/api/aps/events?access_token=${token}`);
      const scan = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${g1}&access_token=${token}`);
      const other = await openStream(`${sim.url}/api/gap/nodes?event=1&mac=${g2}&access_token=${token}`);
      expect([scan.status, other.status]).toEqual([200, 200]);
      sim.setFaults({ gateways: { 'cc:1b:e0:e0:00:01': { offlineMeanIntervalS: 0.1, offlineMinS: 5, offlineMaxS: 5 } } });
      await deadline(scan.ended, 10_000, 'the offline gateway\'s scan stream to end');
      // The hub-status and combined sockets are read separately from the scan stream.
      await until(() => hub.events.length >= 3 && combined.events.length >= 2, 10_000, 'the offline status on hub status and the combined stream');
      expect(hub.events.slice(2)).toEqual([{ mac: g1, status: 'offline' }]);
      expect(combined.events.slice(1)).toEqual([{ dataType: 'ap_state', ap: g1, status: 'offline', offline_time: expect.any(Number) }]);
      const res = await fetch(`${sim.url}/api/gap/nodes?event=1&mac=${g1}&access_token=${token}`);
      expect([res.status, await res.text()]).toEqual([502, 'gateway offline']);
      const hubs = (await (await fetch(`${sim.url}/api/cassia/hubs?access_token=${token}`)).json()) as Array<{ status: string }>;
      expect(hubs.map((h) => h.status)).toEqual(['offline', 'online']);
      const posted = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: '{"profile":"clean"}' });
      expect(posted.status).toBe(200);
      await until(() => hub.events.at(-1)?.status === 'online', 10_000, 'the online status on hub status');
      expect(hub.events.at(-1)).toMatchObject({ mac: g1, status: 'online' });
      expect((await fetch(`${sim.url}/api/cassia/info?mac=${g1}&access_token=${token}`)).status).toBe(200);
      other.close();
      expect(other.events.length).toBeGreaterThan(0);
      expect(sim.truth().gateways[g1]?.requests['502']).toBe(1);
      hub.close();
      combined.close();
    } finally {
      await sim.close();
    }
  });

  it('changes profiles and transports at run time and rejects a bad body with 400', async () => {
    const sim = await createSimulator({ gateways: 2, capwap: 2 });
    try {
      const [g1] = sim.gateways as [string];
      const move = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ gateways: { [g1]: { transport: 'mqtt', http502: 1 } } }) });
      expect(move.status).toBe(200);
      expect(sim.truth().gateways[g1]?.transport).toBe('mqtt');
      const res = await fetch(`${sim.url}/api/cassia/info?mac=${g1}&access_token=${await getToken(sim.url)}`);
      expect(res.status).toBe(502);
      for (const bad of ['{"gateways":{"CC:1B:E0:E0:09:09":{"drop":0.1}}}', '{"transports":{"capwap":{"drop":2}}}', '{"profile":"noisy"}', '{"gateways":{"x":{}}}', 'nope']) {
        const r = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: bad });
        expect(r.status, bad).toBe(400);
      }
      const dropKey = await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: '{"transports":{"capwap":{"dorp":0.1}}}' });
      expect(((await dropKey.json()) as { error: string }).error).toMatch(/dorp/);
    } finally {
      await sim.close();
    }
  });
});
