/**
 * Writes under load: 16 clients at once doing what Cassia applications do to devices (connect
 * with a JSON body, disconnect, GATT writes and reads, batch connects with bodies up to tens of
 * KiB, some sent chunked) through the proxy to a simulator injecting 502/504 and gateway errors,
 * over HTTP and over HTTPS with the AC's own CA.
 * The simulator records every exchange (`x-sim-request-id`, `GET /__sim/requests`), so the test
 * proves each request body arrived as sent and each client got exactly the answer the simulator
 * wrote; the proxy's per-route and per-gateway counts equal what the clients sent and the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { createSimulator, type RequestRecord, type ProfileInput } from '../../src/simulator/index.js';
import { startProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { simGatewayMap, simToken } from '../helpers/fault-run.js';
import { scrape, total } from '../helpers/metrics.js';
import { deadline, until } from '../helpers/until.js';
import { rawConnect } from '../helpers/raw-client.js';
import { createTestCas, type TestCas } from '../helpers/certs.js';

const { defer } = cleanupAfterEach();

let certs: TestCas;
beforeAll(() => {
  certs = createTestCas('ac');
}, 30_000);
afterAll(() => certs?.remove());

const CLIENTS = 16;
const PER_CLIENT = 25;
const DEVICES = 6;

/** Faults on both transports (CAPWAP worse), fast connects, no offline periods. */
const LOAD_FAULTS: ProfileInput = {
  profile: 'clean',
  transports: {
    capwap: { http502: 0.08, http504: 0.05, http504DelayMs: 25, latencyMs: 2, jitterMs: 10, gatewayErrors: 0.05, connectMinMs: 5, connectMaxMs: 30 },
    mqtt: { http502: 0.02, http504: 0.01, http504DelayMs: 25, latencyMs: 1, jitterMs: 5, gatewayErrors: 0.02, connectMinMs: 5, connectMaxMs: 20 },
  },
};

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

interface Sent {
  id: string;
  gateway: string;
  route: string;
  method: string;
  body: Buffer | null;
  status: number;
  answer: Buffer;
  contentLength: string | undefined;
}

/** A small deterministic generator, so the mix is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('connects, GATT writes and batch connects under load', () => {
  it.each(['http', 'https'] as const)('every answer is the simulator\'s byte for byte, bodies arrive intact, counts equal what was sent and the truth (%s upstream)', async (scheme) => {
    const ca = certs.cas.ac as NonNullable<TestCas['cas'][string]>;
    const tls = scheme === 'https' ? { key: ca.key, cert: ca.cert } : undefined;
    const sim = await createSimulator({ gateways: 4, capwap: 2, devicesPerGateway: DEVICES, connectedPerGateway: DEVICES, seed: 5, profile: 'clean', ...(tls ? { tls } : {}) });
    defer(() => sim.close());
    expect(sim.url.startsWith(`${scheme}://`)).toBe(true);
    const simDispatcher: Dispatcher = new Agent(tls ? { connect: { ca: ca.ca } } : {});
    defer(() => simDispatcher.close());
    const proxy = await startProxy(testConfig(sim.url, { ...(tls ? { upstreamCa: ca.caFile } : {}), transport: { gateways: simGatewayMap(sim) }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => proxy.close());
    const t = await simToken(proxy, sim);
    const sent: Sent[] = [];
    let outstanding = 0;
    let mostOutstanding = 0;

    const send = async (id: string, gateway: string, route: string, method: 'GET' | 'POST' | 'DELETE', path: string, body: Buffer | null, chunked = false): Promise<Sent> => {
      const headers: Record<string, string> = { 'x-sim-request-id': id };
      if (body) headers['content-type'] = 'application/json';
      const payload = body === null ? undefined
        : chunked ? Readable.from(Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => body.subarray(i * 1000, (i + 1) * 1000)))
        : body;
      const sep = path.includes('?') ? '&' : '?';
      mostOutstanding = Math.max(mostOutstanding, ++outstanding);
      const res = await request(`${proxy.proxyUrl}${path}${sep}mac=${gateway}&access_token=${t}`, { method, headers, body: payload });
      const answer = Buffer.from(await res.body.arrayBuffer());
      outstanding--;
      const cl = res.headers['content-length'];
      const record: Sent = { id, gateway, route, method, body, status: res.statusCode, answer, contentLength: typeof cl === 'string' ? cl : undefined };
      sent.push(record);
      return record;
    };

    // Learn every device through the proxy while the AC is clean (all are connected at start).
    const devices: Record<string, string[]> = {};
    for (const gateway of sim.gateways) {
      const list = await send(`list-${gateway}`, gateway, '/api/gap/nodes', 'GET', '/api/gap/nodes?connection_state=connected', null);
      expect(list.status).toBe(200);
      devices[gateway] = (JSON.parse(list.answer.toString('utf8')) as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id);
      expect(devices[gateway]).toHaveLength(DEVICES);
    }
    sim.setFaults(LOAD_FAULTS);

    const client = async (c: number): Promise<void> => {
      const rnd = lcg(c + 1);
      for (let i = 0; i < PER_CLIENT; i++) {
        const id = `c${c}-${i}`;
        const gateway = sim.gateways[Math.floor(rnd() * sim.gateways.length)] as string;
        const list = devices[gateway] as string[];
        const dev = list[Math.floor(rnd() * list.length)] as string;
        const pick = rnd();
        if (pick < 0.25) {
          const body = Buffer.from(JSON.stringify({ type: 'public', timeout: 5000 + i, client: `c${c}` }));
          await send(id, gateway, '/api/gap/nodes/{device}/connection', 'POST', `/api/gap/nodes/${dev}/connection`, body, i % 3 === 0);
        } else if (pick < 0.35) {
          await send(id, gateway, '/api/gap/nodes/{device}/connection', 'DELETE', `/api/gap/nodes/${dev}/connection`, null);
        } else if (pick < 0.65) {
          const value = createHash('md5').update(id).digest('hex').slice(0, 2 + 2 * (i % 8)).toUpperCase();
          await send(id, gateway, '/api/gatt/nodes/{device}/handle/{handle}/value/{value}', 'GET', `/api/gatt/nodes/${dev}/handle/39/value/${value}`, null);
        } else if (pick < 0.75) {
          await send(id, gateway, '/api/gatt/nodes/{device}/handle/{handle}/value', 'GET', `/api/gatt/nodes/${dev}/handle/39/value`, null);
        } else {
          // Batch connect: the gateway's devices, numbers as strings like the wiki's curl, and a
          // filler field making some bodies tens of KiB (the AC ignores unknown fields).
          const entries = list.filter(() => rnd() < 0.6).map((addr) => ({ type: 'random', addr }));
          const filler = i % 4 === 0 ? 'x'.repeat(20_000 + c * 997) : '';
          const body = Buffer.from(JSON.stringify({ list: entries, timeout: '2000', per_dev_timeout: 4000, note: filler }));
          await send(id, gateway, '/api/gap/batch-connect', 'POST', '/api/gap/batch-connect', body, i % 2 === 0);
        }
      }
    };
    await deadline(Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c))), 15_000, 'the load to finish');
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_in_flight') === 0, 5000, 'no request in flight', 100);

    // Every answer is the one the simulator wrote for that request; every body it read is the one sent.
    const records = ((await (await request(`${sim.url}/__sim/requests`, { dispatcher: simDispatcher })).body.json()) as { requests: Record<string, RequestRecord> }).requests;
    let bodiesChecked = 0;
    for (const s of sent) {
      const r = records[s.id];
      expect(r, `${s.id}: the simulator saw no such request`).toBeDefined();
      if (!r) continue;
      expect({ method: r.method, status: r.status, answer: r.responseBody }, s.id)
        .toEqual({ method: s.method, status: s.status, answer: { bytes: s.answer.length, sha256: sha256(s.answer) } });
      expect(s.contentLength, `${s.id} content-length`).toBe(String(s.answer.length));
      if (s.body && s.status !== 502 && s.status !== 504) {
        expect(r.requestBody, `${s.id}: request body as the simulator read it`).toEqual({ bytes: s.body.length, sha256: sha256(s.body) });
        bodiesChecked++;
      }
      if (!s.body) expect(r.requestBody === null || r.requestBody.bytes === 0, `${s.id}: no body`).toBe(true);
    }
    expect(Object.keys(records)).toHaveLength(sent.length);

    // The proxy's counts: per route, method and status exactly what the clients sent and got.
    const samples = await scrape(proxy.adminUrl);
    const tally = new Map<string, number>();
    for (const s of sent) tally.set(`${s.route} ${s.method} ${s.status}`, (tally.get(`${s.route} ${s.method} ${s.status}`) ?? 0) + 1);
    for (const [key, n] of tally) {
      const [route, method, code] = key.split(' ') as [string, string, string];
      expect(total(samples, 'cassia_proxy_requests_total', { route, method, code }), key).toBe(n);
    }
    expect(total(samples, 'cassia_proxy_requests_total') - 1, 'every exchange but the token').toBe(sent.length);
    expect(total(samples, 'cassia_proxy_requests_total', { origin: 'proxy' })).toBe(0);
    // Per gateway: the clients' calls, and the 502/504 the simulator injected, all the AC's own.
    const truth = sim.truth();
    let injected = 0;
    for (const gateway of sim.gateways) {
      const gt = truth.gateways[gateway];
      const mine = sent.filter((s) => s.gateway === gateway);
      expect({
        total: total(samples, 'cassia_proxy_gateway_requests_total', { gateway }),
        '502': total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '502' }),
        '504': total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '504' }),
        upstream502: total(samples, 'cassia_proxy_gateway_errors_total', { gateway, code: '502', origin: 'upstream' }),
        upstream504: total(samples, 'cassia_proxy_gateway_errors_total', { gateway, code: '504', origin: 'upstream' }),
      }, gateway).toEqual({
        total: mine.length,
        '502': gt?.requests['502'],
        '504': gt?.requests['504'],
        upstream502: mine.filter((s) => s.status === 502).length,
        upstream504: mine.filter((s) => s.status === 504).length,
      });
      expect(gt?.requests.total, `${gateway} truth total`).toBe(mine.length);
      injected += (gt?.requests['502'] ?? 0) + (gt?.requests['504'] ?? 0);
    }
    // The run exercised what it claims.
    expect(sent.length).toBe(CLIENTS * PER_CLIENT + sim.gateways.length);
    expect(injected).toBeGreaterThan(10);
    expect(mostOutstanding, 'requests in flight at once').toBeGreaterThanOrEqual(CLIENTS / 2);
    expect(bodiesChecked).toBeGreaterThan(60);
    expect(sent.filter((s) => s.body && s.body.length > 20_000 && s.status === 200).length).toBeGreaterThan(3);
    for (const route of ['/api/gap/nodes/{device}/connection', '/api/gatt/nodes/{device}/handle/{handle}/value/{value}', '/api/gap/batch-connect']) {
      expect(sent.filter((s) => s.route === route && s.status === 200).length, route).toBeGreaterThan(10);
    }
    expect(sent.some((s) => s.status === 500)).toBe(true);
    expect(total(samples, 'cassia_proxy_requests_in_flight')).toBe(0);
    expect(total(samples, 'cassia_proxy_analysis_errors_total')).toBe(0);
  }, 20_000);

  it('clients that leave in the middle of their request bodies are client aborts; nothing stays in flight and the rest is answered', async () => {
    const sim = await createSimulator({ gateways: 2, capwap: 1, devicesPerGateway: 3, connectedPerGateway: 3, seed: 9, profile: 'clean' });
    defer(() => sim.close());
    const proxy = await startProxy(testConfig(sim.url, { transport: { gateways: simGatewayMap(sim) }, log: { access: false } }), { log: capturedLogger('warn').log });
    defer(() => proxy.close());
    const t = await simToken(proxy, sim);
    const port = Number(new URL(proxy.proxyUrl).port);
    const records = async (): Promise<Record<string, RequestRecord>> =>
      ((await (await request(`${sim.url}/__sim/requests`)).body.json()) as { requests: Record<string, RequestRecord> }).requests;
    const firstDevice: Record<string, string> = {};
    for (const gateway of sim.gateways) {
      const res = await request(`${proxy.proxyUrl}/api/gap/nodes?mac=${gateway}&access_token=${t}`);
      firstDevice[gateway] = ((await res.body.json()) as { nodes: Array<{ id: string }> }).nodes[0]?.id ?? '';
    }
    const LEAVERS = 8;
    const leavers = await Promise.all(Array.from({ length: LEAVERS }, async (_, i) => {
      const conn = await rawConnect(port);
      const gateway = sim.gateways[i % sim.gateways.length] as string;
      const path = i % 2 === 0 ? `/api/gap/batch-connect?mac=${gateway}&access_token=${t}` : `/api/gap/nodes/${firstDevice[gateway]}/connection?mac=${gateway}&access_token=${t}`;
      conn.write(`POST ${path} HTTP/1.1\r\nhost: ac\r\ncontent-type: application/json\r\nx-sim-request-id: leaver-${i}\r\n`
        + (i % 4 < 2 ? 'content-length: 50000\r\n\r\n' : 'transfer-encoding: chunked\r\n\r\n1388\r\n') + '{"list":[' + ' '.repeat(4000));
      return conn;
    }));
    // Everything meanwhile is answered (the same gateways, the same proxy).
    const others = await Promise.all(sim.gateways.map(async (gateway) => (await request(`${proxy.proxyUrl}/api/cassia/info?mac=${gateway}&access_token=${t}`)).statusCode));
    expect(others).toEqual(sim.gateways.map(() => 200));
    // The AC has every unfinished request; then the clients go.
    await until(async () => Object.keys(await records()).filter((k) => k.startsWith('leaver-')).length === LEAVERS, 5000, 'every unfinished request at the simulator', 50);
    expect(total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_in_flight')).toBe(LEAVERS);
    for (const conn of leavers) conn.destroy();
    await until(async () => {
      const samples = await scrape(proxy.adminUrl);
      return total(samples, 'cassia_proxy_requests_in_flight') === 0 && total(samples, 'cassia_proxy_requests_total', { reason: 'client_abort' }) === LEAVERS;
    }, 5000, 'the aborts counted and nothing in flight', 100);
    const samples = await scrape(proxy.adminUrl);
    expect(total(samples, 'cassia_proxy_requests_total', { reason: 'client_abort', code: '499', origin: 'client' })).toBe(LEAVERS);
    expect(total(samples, 'cassia_proxy_client_errors_total')).toBe(0);
    // The upstream requests were cancelled: the simulator never answered them, so its truth has only the other calls.
    const seen = await records();
    for (let i = 0; i < LEAVERS; i++) expect(seen[`leaver-${i}`]?.status, `leaver-${i}`).toBeNull();
    for (const gateway of sim.gateways) {
      expect(sim.truth().gateways[gateway]?.requests.total).toBe(2);
      expect(total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '200' })).toBe(2);
      expect(total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '499' })).toBe(LEAVERS / sim.gateways.length);
    }
  }, 20_000);
});
