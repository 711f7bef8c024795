/**
 * sequence.request through the real proxy: clients that open notification and combined streams
 * without `sequence=2`, as Cassia's own samples do, get loss figures equal to the simulator's truth
 * while receiving exactly the events they would have received without the proxy's request.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { Config } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { scrape, total, type Sample } from '../helpers/metrics.js';
import { openSse, type SseCapture } from '../helpers/sse-client.js';
import { simGatewayMap, simToken } from '../helpers/fault-run.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

interface Stack { sim: Simulator; proxy: RunningProxy; token: string; log: string[] }

/** Simulator with faults on CAPWAP, and the proxy in front of it; `reloadable`: a reload turns sequence.request on. */
async function stack(overrides: { request?: boolean; reloadable?: boolean } = {}): Promise<Stack> {
  const sim = await createSimulator({
    gateways: 2, capwap: 1, devicesPerGateway: 6, connectedPerGateway: 3, seed: 22,
    notifyIntervalMs: 30, scanIntervalMs: 60, tickMs: 20, keepaliveMs: 150, keepaliveForm: 'mixed',
    profile: { profile: 'clean', transports: { capwap: { drop: 0.05, duplicate: 0.03, reorder: 0.03 } } },
  });
  defer(() => sim.close());
  const captured = capturedLogger('info');
  const config = testConfig(sim.url, {
    transport: { gateways: simGatewayMap(sim) },
    sequence: { reorderWindowTime: 500, request: overrides.request ?? true },
  });
  const next: Config = { ...config, sequence: { ...config.sequence, request: true } };
  const proxy = await startProxy(config, { log: captured.log, ...(overrides.reloadable ? { reloadConfig: async () => next } : {}) });
  defer(() => proxy.close());
  return { sim, proxy, token: await simToken(proxy, sim), log: captured.lines };
}

const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

/**
 * The bytes the simulator wrote for a stream with `sequence=2`, rebuilt from what the client got:
 * its `seqNum` (the simulator writes it last; `value` carries the same counter) put back into each
 * notification. Equal hashes prove that the proxy passed every other byte, in order.
 */
function withSeqNumBack(received: Buffer): Buffer {
  const text = received.toString('utf8').replace(/^data: (\{.*"dataType":"notification".*\})$/gm, (line, json: string) => {
    const value = parse(json).value as string;
    return `data: ${json.slice(0, -1)},"seqNum":${parseInt(value.slice(4), 16)}}`;
  });
  return Buffer.from(text);
}

async function written(sim: Simulator): Promise<Record<string, { kind: string; bytes: number; sha256: string }>> {
  return ((await (await request(`${sim.url}/__sim/streams`)).body.json()) as { streams: Record<string, { kind: string; bytes: number; sha256: string }> }).streams;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Faults off, then more events on every stream (a drop is only observable once a later event came), then every stream ends. */
async function finish(s: Stack, streams: SseCapture[]): Promise<Sample[]> {
  s.sim.setFaults({ profile: 'clean' });
  const marks = streams.map((c) => c.events.length);
  await until(() => streams.every((c, i) => c.events.length >= (marks[i] ?? 0) + 40), 10_000, '40 clean events on every stream');
  s.sim.closeStreams();
  await Promise.all(streams.map((c) => c.done));
  await until(async () => total(await scrape(s.proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000, 'the proxy to see every stream end');
  return scrape(s.proxy.adminUrl);
}

describe('sequence.request', () => {
  it('acNotify.js / scanConnectNotify.js unchanged (GET /api/gatt/nodes?mac=…): no seqNum reaches them, every event as without the proxy, loss equal to the truth', async () => {
    const s = await stack();
    const { sim, proxy, token } = s;
    const [capwap, mqtt] = sim.gateways as [string, string];
    // What each gateway's notifications look like without sequence=2: a direct stream, unsequenced, never faulted.
    const direct = new Map<string, SseCapture>();
    for (const gateway of [capwap, mqtt]) direct.set(gateway, await openSse(`${sim.url}/api/gatt/nodes?mac=${gateway}&access_token=${token}`));
    const proxied = new Map<string, SseCapture>();
    for (const gateway of [capwap, mqtt]) {
      const capture = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?mac=${gateway}&access_token=${token}`, { 'x-sim-stream-id': `proxied/${gateway}` });
      expect(capture.status).toBe(200);
      proxied.set(gateway, capture);
    }
    // An application that asks for sequence=2 itself sees seqNum as before.
    const own = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?sequence=2&mac=${capwap}&access_token=${token}`, { 'x-sim-stream-id': 'own' });
    const faults = (): number => {
      const st = sim.truth().gateways[capwap]?.streams.notification;
      return (st?.dropped ?? 0) + (st?.duplicated ?? 0) + (st?.reordered ?? 0);
    };
    await until(() => faults() >= 15 && [...proxied.values()].every((c) => c.events.length >= 150), 15_000, '15 injected faults and 150 events per stream');
    const samples = await finish(s, [...direct.values(), ...proxied.values(), own]);

    const truth = sim.truth();
    const bytes = await written(sim);
    for (const gateway of [capwap, mqtt]) {
      const client = proxied.get(gateway) as SseCapture;
      const reference = new Set(direct.get(gateway)?.events);
      // Event by event: no seqNum member, and otherwise byte-identical to the same notification without sequence=2.
      for (const event of client.events) {
        expect(parse(event), event).not.toHaveProperty('seqNum');
        expect(reference.has(event), `${gateway}: ${event} is not an event the gateway sends without sequence=2`).toBe(true);
      }
      expect(client.keepalives).toBeGreaterThan(0);
      // The whole byte stream: what the simulator wrote with seqNum, minus exactly those members, keep-alives untouched.
      const upstream = withSeqNumBack(client.raw());
      expect(upstream.length).toBeGreaterThan(client.bytes);
      expect({ bytes: upstream.length, sha256: sha256(upstream) }).toEqual({ bytes: bytes[`proxied/${gateway}`]?.bytes, sha256: bytes[`proxied/${gateway}`]?.sha256 });

      // Loss per gateway and transport, as the simulator says it happened (the direct streams are unsequenced: no faults).
      const st = truth.gateways[gateway]?.streams.notification;
      const counted = (name: string): number => total(samples, `cassia_proxy_${name}`, { stream: 'notification', gateway });
      const throughProxy = client.events.length + (gateway === capwap ? own.events.length : 0);
      expect({
        events: counted('events_total'),
        missing: counted('events_missing_total'),
        duplicate: counted('events_duplicate_total'),
        outOfOrder: counted('events_out_of_order_total'),
        delivered: throughProxy + (direct.get(gateway)?.events.length ?? 0),
      }, gateway).toEqual({ events: throughProxy, missing: st?.dropped, duplicate: st?.duplicated, outOfOrder: st?.reordered, delivered: st?.delivered });
      // What the figure rests on: the numbers the proxy asked for, apart from the application's own.
      expect(counted('events_sequence_requested_total'), gateway).toBe(client.events.length);
      expect(counted('events_sequenced_total'), gateway).toBe(throughProxy);
    }
    expect(faults()).toBeGreaterThanOrEqual(15);
    // The application's own sequence=2: seqNum on every event, its bytes as the simulator wrote them.
    expect(own.events.every((e) => typeof parse(e).seqNum === 'number')).toBe(true);
    expect(bytes.own).toEqual({ kind: 'notification', bytes: own.bytes, sha256: own.sha256() });
    expect(total(samples, 'cassia_proxy_sequence_request_fallbacks_total')).toBe(0);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
    // The report says which loss rests on requested numbers.
    const { gateways } = (await (await request(`${proxy.adminUrl}/api/gateways`)).body.json()) as { gateways: Array<{ gateway: string; sinceStart: { sequenced: number; sequenceRequested: number } }> };
    const report = Object.fromEntries(gateways.map((g) => [g.gateway, g.sinceStart]));
    expect(report[mqtt]).toMatchObject({ sequenced: proxied.get(mqtt)?.events.length, sequenceRequested: proxied.get(mqtt)?.events.length });
    expect(report[capwap]).toMatchObject({ sequenced: (proxied.get(capwap)?.events.length ?? 0) + own.events.length, sequenceRequested: proxied.get(capwap)?.events.length });
    // The access log marks the streams the proxy asked for, and only those.
    await until(() => s.log.filter((l) => l.includes('"route":"/api/gatt/nodes"')).length === 3, 5000, 'three access lines');
    const lines = s.log.filter((l) => l.includes('"route":"/api/gatt/nodes"')).map(parse);
    expect(lines.map((l) => l.sequenceRequested ?? false).sort()).toEqual([false, true, true]);
  }, 40_000);

  it('the combined stream /api/aps/events: the state snapshot and every event as without the proxy, no seqNum, loss per gateway equal to the truth', async () => {
    const s = await stack();
    const { sim, proxy, token } = s;
    const res = await request(`${proxy.proxyUrl}/api/aps/notify/open?access_token=${token}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ aps: sim.gateways }),
    });
    expect([res.statusCode, await res.body.text()]).toEqual([200, 'OK']);
    const direct = await openSse(`${sim.url}/api/aps/events?access_token=${token}`);
    const proxied = await openSse(`${proxy.proxyUrl}/api/aps/events?access_token=${token}`, { 'x-sim-stream-id': 'combined' });
    expect(proxied.status).toBe(200);
    const capwap = sim.gateways[0] as string;
    const faults = (): number => {
      const st = sim.truth().gateways[capwap]?.streams.combined;
      return (st?.dropped ?? 0) + (st?.duplicated ?? 0) + (st?.reordered ?? 0);
    };
    await until(() => faults() >= 15 && proxied.events.length >= 200, 15_000, '15 injected faults and 200 combined events');
    const samples = await finish(s, [direct, proxied]);

    expect(parse(proxied.events[0] ?? '{}').dataType).toBe('state');
    const reference = new Set(direct.events);
    for (const event of proxied.events) {
      expect(parse(event)).not.toHaveProperty('seqNum');
      if (parse(event).dataType === 'notification') expect(reference.has(event), event).toBe(true);
    }
    const upstream = withSeqNumBack(proxied.raw());
    expect({ bytes: upstream.length, sha256: sha256(upstream) }).toEqual({ bytes: (await written(sim)).combined?.bytes, sha256: (await written(sim)).combined?.sha256 });
    const truth = sim.truth();
    for (const gateway of sim.gateways) {
      const st = truth.gateways[gateway]?.streams.combined;
      const counted = (name: string): number => total(samples, `cassia_proxy_${name}`, { stream: 'combined', gateway });
      const mine = proxied.events.filter((e) => e.includes(`"ap":"${gateway}"`) && !e.includes('"dataType":"state"')).length;
      const theirs = direct.events.filter((e) => e.includes(`"ap":"${gateway}"`) && !e.includes('"dataType":"state"')).length;
      expect({
        events: counted('events_total'), missing: counted('events_missing_total'), duplicate: counted('events_duplicate_total'),
        outOfOrder: counted('events_out_of_order_total'), delivered: mine + theirs, requested: counted('events_sequence_requested_total'),
      }, gateway).toEqual({
        events: mine, missing: st?.dropped, duplicate: st?.duplicated, outOfOrder: st?.reordered, delivered: st?.delivered, requested: mine,
      });
    }
    expect(total(samples, 'cassia_proxy_sequence_request_fallbacks_total')).toBe(0);
  }, 40_000);

  it('off by default: nothing changes and the counts stay 0; on after a reload: new streams only', async () => {
    const s = await stack({ request: false, reloadable: true });
    const { sim, proxy, token } = s;
    const gateway = sim.gateways[0] as string;
    const before = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?mac=${gateway}&access_token=${token}`, { 'x-sim-stream-id': 'before' });
    await until(() => before.events.length >= 20, 5000, '20 events');
    expect(await proxy.reload()).toEqual({ ok: true });
    const after = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?mac=${gateway}&access_token=${token}`, { 'x-sim-stream-id': 'after' });
    await until(() => after.events.length >= 20, 5000, '20 events after the reload');
    const mark = before.events.length;
    const samples = await finish(s, [before, after]);
    // The stream opened before the reload is untouched all along: the simulator's own bytes, no seqNum ever.
    const bytes = await written(sim);
    expect(bytes.before).toEqual({ kind: 'notification', bytes: before.bytes, sha256: before.sha256() });
    expect(before.events.length).toBeGreaterThan(mark);
    // The one opened after it was asked for seqNum (the simulator wrote it) and got it removed.
    expect(bytes.after?.bytes).toBeGreaterThan(after.bytes);
    expect(sha256(withSeqNumBack(after.raw()))).toBe(bytes.after?.sha256);
    expect(after.events.every((e) => !('seqNum' in parse(e)))).toBe(true);
    expect(total(samples, 'cassia_proxy_events_sequenced_total', { gateway })).toBe(after.events.length);
    expect(total(samples, 'cassia_proxy_events_sequence_requested_total', { gateway })).toBe(after.events.length);
  }, 30_000);

  it('an AC whose events stop carrying seqNum mid-stream: the stream falls back, no event lost or altered, counted and logged once', async () => {
    const seen: string[] = [];
    const event = (body: string): string => `data: ${body}\n\n`;
    const upstream = await httpServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Chunks cut anywhere, as a socket delivers them.
      const bytes = [
        ':keep-alive\n\n',
        event('{"value":"01","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification","seqNum":1}'),
        event('{"seqNum":2, "value":"02","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"}'),
        event('{"value":"03","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"}'),
        event('{"value":"04","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification","seqNum":4}'),
        'data: {"value":"05","seqN',
      ].join('');
      const cuts = [5, 40, 41, 130, 200, 260, bytes.length];
      let at = 0;
      const next = (): void => {
        const cut = cuts.shift();
        if (cut === undefined) {
          res.end();
          return;
        }
        res.write(bytes.slice(at, cut));
        at = cut;
        setTimeout(next, 5);
      };
      next();
    });
    defer(() => upstream.close());
    const captured = capturedLogger('info');
    const proxy = await startProxy(testConfig(upstream.url, { sequence: { request: true } }), { log: captured.log });
    defer(() => proxy.close());
    const client = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&event=1`);
    await client.done;
    expect(seen).toEqual(['/api/gatt/nodes?mac=CC:1B:E0:E0:00:01&event=1&sequence=2']);
    expect(client.raw().toString()).toBe([
      ':keep-alive\n\n',
      event('{"value":"01","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"}'),
      event('{"value":"02","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"}'),
      // From here on, what the AC sent.
      event('{"value":"03","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification"}'),
      event('{"value":"04","handle":36,"id":"E4:7F:00:00:00:01","dataType":"notification","seqNum":4}'),
      'data: {"value":"05","seqN',
    ].join(''));
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_active') === 0, 5000, 'the stream to end');
    const samples = await scrape(proxy.adminUrl);
    expect(total(samples, 'cassia_proxy_sequence_request_fallbacks_total', { stream: 'notification', reason: 'no_seqnum' })).toBe(1);
    expect(total(samples, 'cassia_proxy_events_sequenced_total')).toBe(3);
    expect(total(samples, 'cassia_proxy_events_sequence_requested_total')).toBe(3);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
    await until(() => captured.lines.some((l) => l.includes('"sequenceRequested":true')), 5000, 'the access line');
    expect(captured.lines.filter((l) => l.includes('requested sequence numbers'))).toHaveLength(1);
    expect(parse(captured.lines.find((l) => l.includes('requested sequence numbers')) ?? '{}')).toMatchObject({ level: 'warn', stream: 'notification', reason: 'no_seqnum' });
  });

  it('an error answer to a rewritten request passes as it is', async () => {
    const upstream = await httpServer((req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'forbidden', url: req.url }));
    });
    defer(() => upstream.close());
    const proxy = await startProxy(testConfig(upstream.url, { sequence: { request: true }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => proxy.close());
    const res = await request(`${proxy.proxyUrl}/api/aps/events?access_token=x`);
    expect([res.statusCode, await res.body.json()]).toEqual([403, { error: 'forbidden', url: '/api/aps/events?access_token=x&sequence=2' }]);
  });
});
