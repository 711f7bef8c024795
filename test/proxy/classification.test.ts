/**
 * Every row of the outcome table in docs/reference.md, produced by a purpose-built upstream on loopback:
 * the status and body the client sees, and the exact requests_total series recorded.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { connect } from 'node:net';
import { createServer as createTlsServer } from 'node:net';
import { once } from 'node:events';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, closedPort, httpServer, tcpServer } from '../helpers/servers.js';
import { find, scrape } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';

const { defer, track } = cleanupAfterEach();

async function proxyTo(upstream: string, overrides: Parameters<typeof testConfig>[1] = {}): Promise<RunningProxy> {
  const { log } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream, overrides), { log });
  defer(() => proxy.close());
  return proxy;
}


const GW = 'CC:1B:E0:E0:00:01';
const PATH = `/api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value?mac=${GW.toLowerCase()}`;
const ROUTE = '/api/gatt/nodes/{device}/handle/{handle}/value';

async function expectOneRequest(proxy: RunningProxy, labels: Record<string, string>): Promise<void> {
  const samples = await scrape(proxy.adminUrl);
  const rows = find(samples, 'cassia_proxy_requests_total');
  expect(rows.map((r) => r.labels)).toEqual([{ route: ROUTE, method: 'GET', transport: 'capwap', ...labels }]);
  expect(rows[0]?.value).toBe(1);
  expect(find(samples, 'cassia_proxy_gateway_requests_total', { gateway: GW, transport: 'capwap', code: labels.code as string })[0]?.value).toBe(1);
}

const capwap = { transport: { gateways: { [GW]: { transport: 'capwap' as const } } } };

describe('outcome classification (docs/reference.md outcome table)', () => {
  it('upstream answered: its status, origin=upstream reason=response', async () => {
    const up = track(await httpServer((_req, res) => { res.writeHead(504, { 'content-type': 'text/plain' }); res.end('gateway timeout from AC'); }));
    const proxy = await proxyTo(up.url, capwap);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(504);
    expect(res.headers['x-cassia-proxy-error']).toBeUndefined();
    expect(await res.body.text()).toBe('gateway timeout from AC');
    await expectOneRequest(proxy, { code: '504', origin: 'upstream', reason: 'response' });
  });

  it('could not connect: 502 connect_error', async () => {
    const port = await closedPort();
    const proxy = await proxyTo(`http://127.0.0.1:${port}`, capwap);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-cassia-proxy-error']).toBe('connect_error');
    expect(await res.body.json()).toEqual({ error: 'connect_error', proxy: 'cassia-ac-proxy' });
    await expectOneRequest(proxy, { code: '502', origin: 'proxy', reason: 'connect_error' });
  });

  it('connect slower than timeouts.connect: 504 connect_timeout', async () => {
    // An https upstream whose TLS handshake never completes: connecting takes forever.
    const silent = createTlsServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    const sockets: Array<{ destroy(): void }> = [];
    silent.on('connection', (s) => sockets.push(s));
    defer(async () => { sockets.forEach((s) => s.destroy()); silent.close(); });
    const proxy = await proxyTo(`https://127.0.0.1:${port}`, { ...capwap, timeouts: { connect: 200 } });
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(504);
    expect(res.headers['x-cassia-proxy-error']).toBe('connect_timeout');
    expect(await res.body.json()).toEqual({ error: 'connect_timeout', proxy: 'cassia-ac-proxy' });
    await expectOneRequest(proxy, { code: '504', origin: 'proxy', reason: 'connect_timeout' });
  });

  it('no response headers within timeouts.headers: 504 headers_timeout', async () => {
    const up = track(await httpServer(() => undefined));
    const proxy = await proxyTo(up.url, { ...capwap, timeouts: { headers: 200 } });
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(504);
    expect(res.headers['x-cassia-proxy-error']).toBe('headers_timeout');
    expect(await res.body.json()).toEqual({ error: 'headers_timeout', proxy: 'cassia-ac-proxy' });
    await expectOneRequest(proxy, { code: '504', origin: 'proxy', reason: 'headers_timeout' });
  });

  it('upstream closed before headers: 502 upstream_reset', async () => {
    const up = track(await tcpServer((socket) => socket.once('data', () => socket.destroy())));
    const proxy = await proxyTo(up.url, capwap);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-cassia-proxy-error']).toBe('upstream_reset');
    await res.body.dump();
    await expectOneRequest(proxy, { code: '502', origin: 'proxy', reason: 'upstream_reset' });
  });

  it('unparsable response: 502 bad_response', async () => {
    const up = track(await tcpServer((socket) => socket.once('data', () => socket.write('HELLO THERE\r\n\r\n'))));
    const proxy = await proxyTo(up.url, capwap);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-cassia-proxy-error']).toBe('bad_response');
    await res.body.dump();
    await expectOneRequest(proxy, { code: '502', origin: 'proxy', reason: 'bad_response' });
  });

  it('upstream reset mid-body: status already sent, client sees a truncated body, upstream body_reset', async () => {
    const up = track(await tcpServer((socket) => socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"partial":');
      setTimeout(() => socket.destroy(), 50);
    })));
    const proxy = await proxyTo(up.url, capwap);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    await waitFor(async () => find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').length > 0);
    await expectOneRequest(proxy, { code: '200', origin: 'upstream', reason: 'body_reset' });
  });

  it('stream silent past timeouts.streamIdle: proxy stream_idle_timeout, stream end idle_timeout', async () => {
    const up = track(await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"seqNum":1}\n\n');
    }));
    const proxy = await proxyTo(up.url, { ...capwap, timeouts: { streamIdle: 300 } });
    const res = await request(`${proxy.proxyUrl}/api/gatt/nodes?event=1&mac=${GW}`);
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    await waitFor(async () => find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').length > 0);
    const samples = await scrape(proxy.adminUrl);
    expect(find(samples, 'cassia_proxy_requests_total').map((s) => s.labels)).toEqual([
      { route: '/api/gatt/nodes', method: 'GET', code: '200', origin: 'proxy', reason: 'stream_idle_timeout', transport: 'capwap' },
    ]);
    expect(find(samples, 'cassia_proxy_streams_total', { stream: 'notification', transport: 'capwap', end: 'idle_timeout' })[0]?.value).toBe(1);
    expect(find(samples, 'cassia_proxy_streams_active', { stream: 'notification', transport: 'capwap' })[0]?.value).toBe(0);
  });

  it('client went away first: 499 recorded, client_abort, and the upstream sees its socket close', async () => {
    let upstreamSocketClosed: () => void = () => undefined;
    let upstreamGotRequest: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => { upstreamSocketClosed = resolve; });
    const received = new Promise<void>((resolve) => { upstreamGotRequest = resolve; });
    const up = track(await httpServer((req) => { upstreamGotRequest(); req.socket.on('close', () => upstreamSocketClosed()); }));
    const proxy = await proxyTo(up.url, capwap);
    const port = Number(new URL(proxy.proxyUrl).port);
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write(`GET ${PATH} HTTP/1.1\r\nhost: x\r\n\r\n`);
    await received;
    client.destroy();
    await closed;
    await waitFor(async () => find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').length > 0);
    await expectOneRequest(proxy, { code: '499', origin: 'client', reason: 'client_abort' });
  });
});

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}
