// Every Grafana panel query, run by a real Prometheus that scraped the real proxy in front of
// the simulator, parses and returns series. A query over a misspelt metric or label, or one
// that can never match what the proxy exports, fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTargets, loadDashboards, toPromql } from '../grafana/dashboard-model.js';
import { binaryStatus, waitFor } from '../helpers/prometheus.js';
import { until } from '../helpers/until.js';
import { startObservedStack, type ObservedStack } from './observed-stack.js';

const status = binaryStatus('prometheus');
const dashboards = await loadDashboards();
const queries = dashboards.flatMap(({ file, dashboard }) =>
  allTargets(dashboard).map(({ panel, target }) => ({ name: `${file} "${panel.title}" ${target.refId}`, expr: target.expr ?? '' })),
);

describe.runIf(status.mustFail)('dashboard queries on live data (prometheus missing under CI)', () => {
  it('fails because prometheus is required in CI', () => {
    expect.fail(`missing: ${status.missing.join(', ')}`);
  });
});

describe.skipIf(status.skip || status.mustFail)('dashboard queries on live proxy data', () => {
  let stack: ObservedStack | undefined;
  beforeAll(async () => {
    stack = await startObservedStack();
    const running = stack;
    // Let traffic flow, then end every stream once so stream-end panels have data too; the
    // workload reopens them.
    await waitFor(
      async () => ((await running.prometheus.query('sum(cassia_proxy_events_missing_total)'))[0]?.value ?? 0) > 0 || undefined,
      25_000,
      'missing events scraped',
    );
    running.sim.closeStreams();
    await waitFor(
      async () => ((await running.prometheus.query('sum(cassia_proxy_streams_total)'))[0]?.value ?? 0) > 0 || undefined,
      10_000,
      'ended streams scraped',
    );
    // An outage on one gateway, so the probes of an offline gateway (counted apart) have series too.
    running.sim.setFaults({ gateways: { [running.sim.gateways[0] as string]: { offlineMeanIntervalS: 0.5, offlineMinS: 2, offlineMaxS: 3 } } });
    await waitFor(
      async () => ((await running.prometheus.query('sum(cassia_proxy_probes_offline_total)'))[0]?.value ?? 0) > 0 || undefined,
      15_000,
      'probes of an offline gateway scraped',
    );
  }, 50_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('Prometheus scrapes the proxy', async () => {
    expect(await stack?.prometheus.targets()).toEqual([expect.objectContaining({ job: 'cassia-ac-proxy', health: 'up' })]);
  });

  // Some panels need a second scrape after an event (rates over a counter that just appeared, the
  // ended streams): each query is retried on later scrapes until it has series or the deadline
  // passes, and the test names the queries that never had any.
  it('every panel query returns series', async () => {
    const prometheus = (stack as ObservedStack).prometheus;
    let pending = queries;
    const withoutSeries = async (): Promise<boolean> => {
      const still: typeof queries = [];
      for (const query of pending) {
        if ((await prometheus.query(toPromql(query.expr, '20s'))).length === 0) still.push(query);
      }
      pending = still;
      return pending.length === 0;
    };
    // Polled at half the scrape interval; on the deadline the assertion below names what is left.
    await until(withoutSeries, 30_000, 'series for every panel query', 500).catch(() => undefined);
    expect(pending.map((q) => q.name)).toEqual([]);
  }, 45_000);
});
