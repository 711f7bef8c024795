/**
 * The fault run of accuracy.test.ts with the AC behind HTTPS and its own CA (`upstreamCa`): the
 * counts still equal the simulator's truth exactly. And an HTTPS upstream that breaks the TLS
 * handshake (reset or closed mid-handshake, a certificate from another CA) gives the documented
 * `connect_error` answers (a handshake that never ends `connect_timeout`), counted per gateway as
 * the proxy's, while the proxy keeps answering on the same client connection and gets through
 * once the AC is reachable again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { once } from 'node:events';
import { Agent, Pool } from 'undici';
import { createSimulator } from '../../src/simulator/index.js';
import { startProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, tcpServer } from '../helpers/servers.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { createTestCas, type TestCas } from '../helpers/certs.js';
import { expectFaultRunMatchesTruth, faultRunSimulator, simGatewayMap, simToken } from '../helpers/fault-run.js';
import { find, scrape, total } from '../helpers/metrics.js';
import { until } from '../helpers/until.js';

const { defer } = cleanupAfterEach();

let certs: TestCas;
beforeAll(() => {
  certs = createTestCas('ac', 'other');
}, 30_000);
afterAll(() => certs?.remove());

const ac = () => certs.cas.ac as NonNullable<TestCas['cas'][string]>;
const other = () => certs.cas.other as NonNullable<TestCas['cas'][string]>;

describe.each([3, 11])('fault run over an HTTPS upstream with its own CA (seed %i)', (seed) => {
  it('missing, duplicate, out-of-order and per-gateway 502/504 equal the simulator truth', async () => {
    const sim = await createSimulator({ ...faultRunSimulator(seed), tls: { key: ac().key, cert: ac().cert } });
    defer(() => sim.close());
    expect(sim.url.startsWith('https://')).toBe(true);
    const proxy = await startProxy(
      testConfig(sim.url, { upstreamCa: ac().caFile, transport: { gateways: simGatewayMap(sim) }, sequence: { reorderWindowTime: 500 }, log: { access: false } }),
      { log: capturedLogger('warn').log },
    );
    defer(() => proxy.close());
    const simDispatcher = new Agent({ connect: { ca: ac().ca } });
    defer(() => simDispatcher.close());
    await expectFaultRunMatchesTruth(sim, proxy, { simDispatcher });
  }, 30_000);
});

type Mode = 'reset-after-hello' | 'close-after-hello' | 'cut-server-hello' | 'other-ca' | 'stall' | 'good';

describe('an HTTPS upstream that breaks the handshake', () => {
  it('reset or closed mid-handshake and another CA\'s certificate answer 502 connect_error, a stalled handshake 504 connect_timeout; the same client connection keeps getting answers and recovers', async () => {
    const sim = await createSimulator({ gateways: 2, capwap: 1, profile: 'clean', tls: { key: ac().key, cert: ac().cert } });
    defer(() => sim.close());
    const simPort = Number(new URL(sim.url).port);
    // A TLS server whose certificate another CA signed (the handshake fails on the proxy's side).
    const impostor = createTlsServer({ key: other().key, cert: other().cert }, (s) => s.destroy());
    impostor.on('tlsClientError', () => undefined);
    impostor.listen(0, '127.0.0.1');
    await once(impostor, 'listening');
    defer(() => void impostor.close());
    const impostorPort = (impostor.address() as { port: number }).port;

    // The AC's address: what answers there is switched by `mode`.
    let mode: Mode = 'reset-after-hello';
    const handshakes: Record<Mode, number> = { 'reset-after-hello': 0, 'close-after-hello': 0, 'cut-server-hello': 0, 'other-ca': 0, stall: 0, good: 0 };
    const pipeTo = (client: Socket, port: number, limit = Infinity): void => {
      const server = connect(port, '127.0.0.1');
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      client.pipe(server);
      let sent = 0;
      server.on('data', (chunk: Buffer) => {
        if (sent + chunk.length <= limit) {
          sent += chunk.length;
          client.write(chunk);
          return;
        }
        // Part of the server's first flight, then a reset: the handshake breaks in the middle.
        client.write(chunk.subarray(0, limit - sent), () => client.resetAndDestroy());
        server.destroy();
      });
      server.on('end', () => client.end());
    };
    const front = await tcpServer((client) => {
      const m = mode;
      handshakes[m]++;
      if (m === 'good') return pipeTo(client, simPort);
      if (m === 'other-ca') return pipeTo(client, impostorPort);
      if (m === 'cut-server-hello') return pipeTo(client, simPort, 80);
      // Takes the ClientHello and never answers: the handshake outlasts timeouts.connect.
      if (m === 'stall') return void client.resume();
      client.once('data', () => (m === 'reset-after-hello' ? client.resetAndDestroy() : client.end()));
    });
    defer(() => front.close());

    const gateway = sim.gateways[0] as string;
    const log = capturedLogger('warn');
    const proxy = await startProxy(
      testConfig(`https://127.0.0.1:${front.port}`, {
        upstreamCa: ac().caFile, timeouts: { connect: 300 }, transport: { gateways: simGatewayMap(sim) }, log: { access: false },
      }),
      { log: log.log },
    );
    defer(() => proxy.close());

    // One client connection throughout: every failure leaves it usable, a request body included.
    const clientPool = new Pool(proxy.proxyUrl, { connections: 1 });
    defer(() => clientPool.close());
    let clientConnections = 0;
    clientPool.on('connect', () => clientConnections++);
    const call = async (withBody = false): Promise<{ status: number; reason: string | undefined; body: string }> => {
      const res = withBody
        ? await clientPool.request({ method: 'POST', path: `/api/gap/batch-connect?mac=${gateway}&access_token=none`,
          headers: { 'content-type': 'application/json' }, body: JSON.stringify({ list: [], note: 'x'.repeat(100_000) }) })
        : await clientPool.request({ method: 'GET', path: `/api/cassia/info?mac=${gateway}&access_token=none` });
      const header = res.headers['x-cassia-proxy-error'];
      return { status: res.statusCode, reason: typeof header === 'string' ? header : undefined, body: await res.body.text() };
    };
    let failed = 0;
    for (const m of ['reset-after-hello', 'close-after-hello', 'cut-server-hello', 'other-ca'] as const) {
      mode = m;
      // Sequential and concurrent calls: every one gets the proxy's answer, none hangs.
      const answers = [await call(), ...(await Promise.all([call(), call(true), call()])), await call(true)];
      failed += answers.length;
      for (const a of answers) {
        expect(a, m).toEqual({ status: 502, reason: 'connect_error', body: '{"error":"connect_error","proxy":"cassia-ac-proxy"}' });
      }
      expect(handshakes[m], `${m}: connections the front saw`).toBeGreaterThanOrEqual(answers.length);
      // The admin side answers meanwhile.
      expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200);
    }
    const samples = await scrape(proxy.adminUrl);
    expect({
      connectError: total(samples, 'cassia_proxy_requests_total', { origin: 'proxy', reason: 'connect_error', code: '502' }),
      proxyOrigin: total(samples, 'cassia_proxy_requests_total', { origin: 'proxy' }),
      gateway502: total(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '502' }),
      gatewayProxy502: total(samples, 'cassia_proxy_gateway_errors_total', { gateway, code: '502', origin: 'proxy' }),
      gatewayUpstream: total(samples, 'cassia_proxy_gateway_errors_total', { gateway, origin: 'upstream' }),
    }).toEqual({ connectError: failed, proxyOrigin: failed, gateway502: failed, gatewayProxy502: failed, gatewayUpstream: 0 });
    expect(new Set(find(samples, 'cassia_proxy_requests_total', { origin: 'proxy', reason: 'connect_error' }).map((s) => s.labels.route)))
      .toEqual(new Set(['/api/cassia/info', '/api/gap/batch-connect']));

    // A handshake that never completes: 504 connect_timeout after timeouts.connect.
    mode = 'stall';
    const started = Date.now();
    const stalled = await Promise.all([call(), call(true)]);
    for (const a of stalled) expect(a).toEqual({ status: 504, reason: 'connect_timeout', body: '{"error":"connect_timeout","proxy":"cassia-ac-proxy"}' });
    expect(Date.now() - started).toBeLessThan(5000);
    const afterStall = await scrape(proxy.adminUrl);
    expect(total(afterStall, 'cassia_proxy_gateway_errors_total', { gateway, code: '504', origin: 'proxy' })).toBe(stalled.length);
    expect(total(afterStall, 'cassia_proxy_requests_total', { origin: 'proxy', reason: 'connect_timeout', code: '504' })).toBe(stalled.length);

    // The AC is back: the same proxy gets through (no broken connection was kept).
    mode = 'good';
    const t = await simToken(proxy, sim);
    const res = await clientPool.request({ method: 'GET', path: `/api/cassia/info?mac=${gateway}&access_token=${t}` });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { mac: string }).mac).toBe(gateway);
    expect(sim.truth().gateways[gateway]?.requests).toEqual({ total: 1, '502': 0, '504': 0 });
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_in_flight') === 0, 5000, 'no request in flight', 100);
    const after = await scrape(proxy.adminUrl);
    expect(total(after, 'cassia_proxy_gateway_requests_total', { gateway, code: '200' })).toBe(1);
    expect(total(after, 'cassia_proxy_analysis_errors_total')).toBe(0);
    expect(clientConnections, 'client connections to the proxy').toBe(1);
    // Nothing secret in the log lines the failures produced.
    expect(log.lines.join('\n')).not.toContain(t);
  }, 20_000);
});
