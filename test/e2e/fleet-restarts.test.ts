// The fleet report's counts are exact when proxies restart, stop, start and miss scrapes within the
// range. A real Prometheus scrapes a fake fleet (bench/lib/fake-fleet.mjs: the product's
// per-gateway families, counters that move only on ticks, a known truth): one sidecar runs
// through the range while its scrapes fail across the range's start, one restarts (its counters
// start again from 0 under a new process_start_time_seconds), one stops, one starts. Every count
// per gateway, per segment and per transport must equal the truth over the range, both for a
// range that starts between ticks after everything began and for one that covers it all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeFleet, expectedCounts, type Counts, type FakeFleet } from '../../bench/lib/fake-fleet.mjs';
import { createPromClient } from '../../src/fleet/client.js';
import { collectFleet, type FleetReport } from '../../src/fleet/collect.js';
import type { Figures, GatewayReport } from '../../src/report/types.js';
import { binaryStatus, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { until } from '../helpers/until.js';
import type { Server } from 'node:http';
import { writeTestSizedFleetRules } from './observed-stack.js';

const status = binaryStatus('prometheus');
const JOB = 'cassia-ac-proxy';
const SELECTOR = `{job="${JOB}"}`;

interface Stack {
  fleet: FakeFleet;
  prometheus: RunningPrometheus;
  servers: Array<TestServer<Server>>;
  /** unix s: the first process started; the range start (between ticks); the report's time. */
  began: number;
  boundary: number;
  reportAt: number;
  range: FleetReport;
  all: FleetReport;
}

const figures = (f: Figures): Counts => ({
  requests: f.requests, upstream502: f.status502.upstream.count, proxy502: f.status502.proxy.count,
  upstream504: f.status504.upstream.count, proxy504: f.status504.proxy.count, events: f.events, sequenced: f.sequenced,
  missing: f.missing, outOfOrder: f.outOfOrder, duplicate: f.duplicate,
  outages: f.outages, outageErrors: f.outageErrors, chipBusy: f.acErrors.chip_busy,
});

describe.runIf(status.mustFail)('fleet report with restarts (prometheus missing under CI)', () => {
  it('fails because prometheus is required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('fleet report counts exactly across restarts, stops, starts and scrape gaps', () => {
  let stack: Stack | undefined;
  const stops: Array<() => Promise<void>> = [];
  const s = (): Stack => {
    if (!stack) throw new Error('the stack did not start');
    return stack;
  };

  beforeAll(async () => {
    const fleet = createFakeFleet({ sidecars: 4, gateways: 6, perGateway: 2 });
    const servers: Array<TestServer<Server>> = [];
    for (const { index } of fleet.sidecars) {
      const server = await httpServer((_req, res) => {
        if (!fleet.serving(index)) res.writeHead(503).end();
        else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(fleet.exposition(index));
      });
      stops.push(() => server.close());
      servers.push(server);
    }
    const rules = await writeTestSizedFleetRules();
    stops.push(rules.remove);
    const prometheus = await startPrometheus({
      scrape: [{ job: JOB, targets: servers.map((x) => `127.0.0.1:${x.port}`) }],
      scrapeInterval: '1s',
      ruleFiles: [rules.file],
    });
    stops.push(() => prometheus.stop());
    const instance = (i: number): string => `127.0.0.1:${servers[i]?.port ?? 0}`;
    /** Waits until Prometheus holds a scrape after `t` (ms) of every sidecar that answers. */
    const scrapedAfter = async (t: number): Promise<void> => {
      const want = fleet.sidecars.filter(({ index }) => fleet.serving(index)).map(({ index }) => instance(index));
      await until(async () => {
        const scraped = await prometheus.query(`timestamp(cassia_proxy_build_info${SELECTOR})`);
        return want.every((i) => scraped.some((x) => x.metric.instance === i && x.value * 1000 > t));
      }, 10_000, `a scrape of ${want.join(', ')} after ${new Date(t).toISOString()}`);
    };
    const tick = async (): Promise<void> => {
      const t = Date.now();
      fleet.tick(t / 1000);
      await scrapedAfter(t);
    };
    const began = Date.now() / 1000;
    for (const i of [0, 1, 2]) fleet.start(i, began);
    // The recording rules have begun (they need a proxy's build_info) before anything is counted.
    await until(async () => (await prometheus.query(`job:cassia_proxy_fleet_rules:since_timestamp_seconds${SELECTOR}`)).length > 0, 15_000, 'the rules running');
    await tick();
    await tick();
    await tick();
    // Sidecar 0's scrapes fail from here until after the range starts (its process keeps counting;
    // no tick falls in the gap before the start, whose counts nobody could place in time).
    fleet.fail(0, true);
    const quietFrom = Date.now();
    await scrapedAfter(quietFrom + 2000);
    const boundary = (quietFrom + Date.now()) / 2000;
    await tick();
    fleet.fail(0, false);
    // Sidecar 1 restarts: its old process was scraped after its last tick, the new one starts at 0.
    fleet.stop(1, Date.now() / 1000);
    fleet.start(1, Date.now() / 1000 + 1);
    await tick();
    fleet.stop(2, Date.now() / 1000);
    fleet.start(3, Date.now() / 1000);
    await scrapedAfter(Date.now());
    await tick();
    await tick();
    const reportAt = Date.now() + 1500;
    await scrapedAfter(reportAt);

    const report = async (rangeSeconds: number): Promise<FleetReport> => {
      const client = createPromClient({ url: new URL(prometheus.url), headers: {}, timeoutMs: 10_000, time: reportAt });
      return collectFleet({ client, selector: SELECTOR, rangeSeconds, now: reportAt }).finally(() => client.close());
    };
    stack = {
      fleet, prometheus, servers, began, boundary, reportAt: reportAt / 1000,
      range: await report(Math.round(reportAt / 1000 - boundary)),
      all: await report(Math.ceil(reportAt / 1000 - began) + 5),
    };
  }, 120_000);

  afterAll(async () => {
    while (stops.length) await stops.pop()?.().catch(() => undefined);
  });

  const check = (report: () => FleetReport, from: () => number): void => {
    it('every gateway, segment and transport equals the truth', () => {
      const { fleet, reportAt } = s();
      const expected = expectedCounts(fleet.truth(from(), reportAt));
      const fleetReport = report();
      const gateways = new Map<string, GatewayReport>(fleetReport.gateways.map((g) => [g.gateway, g]));
      // Six gateways and the token calls, which name none.
      expect([...expected.gateways.keys()].sort().at(-1)).toBe('none');
      expect(expected.gateways.size).toBe(7);
      for (const [mac, counts] of expected.gateways) expect(figures(gateways.get(mac)?.sinceStart as Figures), mac).toEqual(counts);
      for (const [name, counts] of expected.transports) {
        const t = fleetReport.report.transports.find((x) => x.transport === name)?.sinceStart;
        expect({
          requests: t?.requests, upstream502: t?.status502.upstream.count, proxy504: t?.status504.proxy.count, events: t?.events, missing: t?.missing,
          outages: t?.outages, chipBusy: t?.acErrors.chip_busy,
        }, name).toEqual({
          requests: counts.requests, upstream502: counts.upstream502, proxy504: counts.proxy504, events: counts.events, missing: counts.missing,
          outages: counts.outages, chipBusy: counts.chipBusy,
        });
      }
      // The per-family rows the report hands on: one row per gateway, transport and code.
      const rows = fleetReport.counts.range.gatewayRequests;
      for (const [key, counts] of expected.segments) {
        const [mac, transport] = key.split(' ');
        const got = rows.filter((r) => r.metric.gateway === mac && r.metric.transport === transport).reduce((a, r) => a + r.value, 0);
        if (mac !== 'none') expect(got, key).toBe(counts.requests);
      }
      // The window is the whole range here (shorter than 15 minutes): the same counts.
      for (const [mac, counts] of expected.gateways) expect(figures(gateways.get(mac)?.window as Figures), `${mac} window`).toEqual(counts);
    });
  };

  describe('a range starting between ticks, after the first processes began', () => {
    check(() => s().range, () => s().boundary);

    it('counted process by process: the one that missed scrapes across the start, restarted, stopped and started; activity from the rules', () => {
      const { range, fleet } = s();
      expect(range.plan.restartedProxies).toBe(4);
      expect(range.plan.activity).toBe('recording rules');
      // Sanity of the check itself: the truth is not trivially zero and the restart lost nothing.
      const truth = expectedCounts(fleet.truth(s().boundary, s().reportAt));
      expect([...truth.gateways.values()].every((c) => c.requests > 0)).toBe(true);
    });
  });

  describe('a range covering everything', () => {
    check(() => s().all, () => s().began - 10);

    it('falls back to raw series where the rules do not cover the range, and says so', () => {
      const { all } = s();
      expect(all.plan.activity).toBe('raw series');
      expect(all.plan.rulesSince).not.toBeNull();
      for (const g of all.gateways) {
        for (const t of g.transports) expect(Date.parse(t.firstAt)).toBeLessThanOrEqual(Date.parse(t.lastAt));
      }
    });
  });
});
