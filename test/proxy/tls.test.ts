/**
 * HTTPS upstreams: the operator's own CA file (on-prem ACs often have one), a certificate that
 * does not verify as `connect_error`, and the explicit insecure switch. Certificates are made at
 * test time (test/helpers/certs.ts, with the openssl CLI).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import { once } from 'node:events';
import { request } from 'undici';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger } from '../helpers/servers.js';
import { find, scrape } from '../helpers/metrics.js';
import { createTestCas, type TestCas } from '../helpers/certs.js';

let certs: TestCas | undefined;
let caFile = '';
let server: Server | undefined;
let upstream = '';
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  certs = createTestCas('ac');
  const ac = certs.cas.ac as NonNullable<TestCas['cas'][string]>;
  caFile = ac.caFile;
  server = createServer({ key: ac.key, cert: ac.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('[{"mac":"CC:1B:E0:E0:00:01","status":"online"}]');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  upstream = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 60_000);

afterEach(async () => {
  while (proxies.length) await proxies.pop()?.close();
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  certs?.remove();
});

async function proxy(overrides: Parameters<typeof testConfig>[1]): Promise<RunningProxy> {
  const p = await startProxy(testConfig(upstream, overrides), { log: capturedLogger().log });
  proxies.push(p);
  return p;
}

describe('https upstream', () => {
  it('verifies the AC against the operator CA file', async () => {
    const p = await proxy({ upstreamCa: caFile });
    const res = await request(`${p.proxyUrl}/api/cassia/hubs`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual([{ mac: 'CC:1B:E0:E0:00:01', status: 'online' }]);
  });

  it('answers 502 connect_error when the certificate does not verify (system CAs only)', async () => {
    const p = await proxy({});
    const res = await request(`${p.proxyUrl}/api/cassia/hubs`);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-cassia-proxy-error']).toBe('connect_error');
    await res.body.dump();
    const samples = await scrape(p.adminUrl);
    expect(find(samples, 'cassia_proxy_requests_total', { code: '502', origin: 'proxy', reason: 'connect_error' })[0]?.value).toBe(1);
  });

  it('with upstreamInsecure connects anyway and says so in /readyz and a metric', async () => {
    const p = await proxy({ upstreamInsecure: true });
    const res = await request(`${p.proxyUrl}/api/cassia/hubs`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const ready = (await (await fetch(`${p.adminUrl}/readyz`)).json()) as { warnings: string[] };
    expect(ready.warnings).toHaveLength(1);
    expect(find(await scrape(p.adminUrl), 'cassia_proxy_upstream_tls_insecure')[0]?.value).toBe(1);
  });
});
