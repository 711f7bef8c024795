import { describe, expect, it } from 'vitest';
import { gatewayStack } from '../helpers/gateways.js';
import { GW1, GW2, testConfig } from '../streams/helpers.js';

function setup(now = () => 1_700_000_000_000) {
  const config = testConfig();
  const stack = gatewayStack(config, now);
  const series = async (name: string) => (await stack.registry.getSingleMetric(`cassia_proxy_${name}`)!.get()).values;
  return { config, ...stack, series };
}

describe('gateway state', () => {
  it('seeds gateway_info from the gateway map, name included', async () => {
    const { series } = setup();
    expect(await series('gateway_info')).toEqual(expect.arrayContaining([
      expect.objectContaining({ value: 1, labels: { gateway: GW1, transport: 'capwap', name: 'hall', model: '', version: '' } }),
      expect.objectContaining({ value: 1, labels: { gateway: GW2, transport: 'mqtt', name: '', model: '', version: '' } }),
    ]));
  });

  it('learns from a hub list and replaces the info series when a label changes', async () => {
    const { state, series } = setup();
    state.observeHubList(Buffer.from(JSON.stringify([
      { mac: GW1.toLowerCase(), name: 'ignored-config-wins', model: 'X2000', version: '2.0.2', status: 'online', group: 'g' },
      { mac: 'CC:1B:E0:E0:00:09', name: 'yard', model: 'E1000', version: '1.4', status: 'offline' },
    ])));
    state.observeHubList(Buffer.from(JSON.stringify({ mac: GW1, model: 'X2000', version: '2.0.3', status: 'online' })));
    const info = await series('gateway_info');
    const gw1 = info.filter((v) => v.labels.gateway === GW1);
    expect(gw1).toEqual([expect.objectContaining({ value: 1, labels: { gateway: GW1, transport: 'capwap', name: 'hall', model: 'X2000', version: '2.0.3' } })]);
    expect(info).toEqual(expect.arrayContaining([expect.objectContaining({ labels: expect.objectContaining({ gateway: 'CC:1B:E0:E0:00:09', transport: 'unknown', name: 'yard' }) })]));
    const online = await series('gateway_online');
    expect(online).toEqual(expect.arrayContaining([
      expect.objectContaining({ value: 1, labels: { gateway: GW1, transport: 'capwap' } }),
      expect.objectContaining({ value: 0, labels: { gateway: 'CC:1B:E0:E0:00:09', transport: 'unknown' } }),
    ]));
  });

  it.each([
    { statuses: ['online'], changes: 0, online: 1 },
    { statuses: ['online', 'online'], changes: 0, online: 1 },
    { statuses: ['online', 'offline'], changes: 1, online: 0 },
    { statuses: ['offline', 'online', 'offline', 'online'], changes: 3, online: 1 },
    { statuses: ['online', 'weird', 'offline'], changes: 1, online: 0 },
  ])('status sequence $statuses → $changes changes', async ({ statuses, changes, online }) => {
    const { state, series } = setup();
    for (const status of statuses) state.observeHub({ mac: GW2, status });
    const c = (await series('gateway_status_changes_total')).find((v) => v.labels.gateway === GW2);
    expect(c?.value).toBe(changes);
    const o = (await series('gateway_online')).find((v) => v.labels.gateway === GW2);
    expect(o?.value).toBe(online);
  });

  it('moves a gateway series when its transport changes on reload', async () => {
    const { config, state, reload, series } = setup();
    state.observeHub({ mac: GW1, status: 'online', model: 'X2000' });
    const next = { ...config, transport: { ...config.transport, gateways: { [GW1]: { transport: 'mqtt' as const, name: 'hall-2' } } } };
    reload(next);
    const info = (await series('gateway_info')).filter((v) => v.labels.gateway === GW1);
    expect(info.map((v) => v.labels)).toEqual([{ gateway: GW1, transport: 'mqtt', name: 'hall-2', model: 'X2000', version: '' }]);
    const online = (await series('gateway_online')).filter((v) => v.labels.gateway === GW1);
    expect(online.map((v) => v.labels.transport)).toEqual(['mqtt']);
  });

  it('ignores bodies that are not hub lists and never throws', () => {
    const { state } = setup();
    for (const body of ['not json', 'null', '42', '[1,null,{"mac":"nope"}]', '{"hubs":[{"mac":"CC:1B:E0:E0:00:05","status":"online"}]}']) {
      expect(() => state.observeHubList(Buffer.from(body))).not.toThrow();
    }
    expect(state.snapshot().map((g) => g.mac)).toContain('CC:1B:E0:E0:00:05');
  });

  it('reports a snapshot with online state, when it changed and last event time, as ms until rendered', () => {
    const t0 = 1_700_000_000_000;
    let t = t0;
    const { state, handle, report } = setup(() => t);
    state.observeHub({ mac: GW1, status: 'online', version: '2.0.3', model: 'X2000' });
    t += 1000;
    const series = handle(GW1).counts.stream('notification');
    series.events++;
    series.flush();
    t += 1000;
    state.observeHub({ mac: GW1, status: 'online' }); // nothing new: the change time stays
    const gw = state.snapshot().find((g) => g.mac === GW1);
    expect(gw).toEqual({
      mac: GW1, transport: 'capwap', name: 'hall', model: 'X2000', version: '2.0.3', online: true,
      onlineChangedAt: t0, lastEventAt: t0 + 1000,
    });
    t += 1000;
    state.observeHub({ mac: GW1, status: 'offline' });
    expect(report.gateways().find((g) => g.gateway === GW1)).toMatchObject({
      online: false, onlineChangedAt: new Date(t0 + 3000).toISOString(), lastEventAt: new Date(t0 + 1000).toISOString(),
    });
    expect(report.gateways().find((g) => g.gateway === GW2)).toMatchObject({ online: null, onlineChangedAt: null, lastEventAt: null });
  });
});

describe('probe targets', () => {
  const GW9 = 'CC:1B:E0:E0:00:09';
  const list = (...macs: string[]) => Buffer.from(JSON.stringify(macs.map((mac) => ({ mac, status: 'online' }))));
  const targets = (state: ReturnType<typeof setup>['state']) => state.probeTargets().map((r) => r.mac).sort();

  it.each<[string, (s: ReturnType<typeof setup>, clock: { t: number }) => void, string[]]>([
    ['the gateway map alone', () => {}, [GW1, GW2]],
    ['a gateway a passing hub list named', ({ state }) => state.observeHubList(list(GW9)), [GW1, GW2, GW9]],
    ['a gateway an answer vouched for', ({ directory }) => { directory().vouch(GW9); }, [GW1, GW2, GW9]],
    ['a MAC only a client named (never vouched)', ({ directory }) => { directory().resolveRaw(GW9); }, [GW1, GW2]],
    ['a vouched gateway the next complete hub list leaves out', ({ state, directory }, clock) => {
      directory().vouch(GW9);
      clock.t += 1000;
      state.observeHubList(list(GW1), { complete: true });
    }, [GW1, GW2]],
    ['a passing (maybe filtered) hub list that leaves it out', ({ state, directory }, clock) => {
      directory().vouch(GW9);
      clock.t += 1000;
      state.observeHubList(list(GW1));
    }, [GW1, GW2, GW9]],
    ['a gateway named again after the complete list left it out', ({ state, directory }, clock) => {
      directory().vouch(GW9);
      clock.t += 1000;
      state.observeHubList(list(GW1), { complete: true });
      clock.t += 1000;
      state.observeHub({ mac: GW9, status: 'offline' });
    }, [GW1, GW2, GW9]],
    ['a gateway taken out of the map on reload', ({ config, reload }) => {
      reload({ ...config, transport: { ...config.transport, gateways: { [GW1]: { transport: 'capwap' } } } });
    }, [GW1]],
    ['a gateway taken out of the map that the AC lists', ({ config, state, reload }) => {
      state.observeHubList(list(GW2), { complete: true });
      reload({ ...config, transport: { ...config.transport, gateways: { [GW1]: { transport: 'capwap' } } } });
    }, [GW1, GW2]],
  ])('%s', (_name, act, expected) => {
    const clock = { t: 1_700_000_000_000 };
    const stack = setup(() => clock.t);
    act(stack, clock);
    expect(targets(stack.state)).toEqual(expected);
  });
});
