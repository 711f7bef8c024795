/**
 * Client-side timeouts and limits of the real proxy: what a slow, oversized or malformed client
 * gets back, what is counted in client_errors_total, and that none of it touches a flowing event
 * stream.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { Config } from '../../src/config/types.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { find, scrape, total } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { bodyOf, headerOf, rawConnect, statusOf } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

type Overrides = Parameters<typeof testConfig>[1];

async function proxyTo(upstream: string, overrides: Overrides = {}, reloadTo?: () => Config): Promise<RunningProxy & { port: number; lines: string[] }> {
  const { log, lines } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream, overrides), { log, ...(reloadTo ? { reloadConfig: async () => reloadTo() } : {}) });
  defer(() => proxy.close());
  return Object.assign(proxy, { port: Number(new URL(proxy.proxyUrl).port), lines });
}

async function clientErrors(proxy: RunningProxy, reason: string): Promise<number> {
  return total(await scrape(proxy.adminUrl), 'cassia_proxy_client_errors_total', { reason });
}

/** An upstream that answers 200 with what it received, once the request body ended. */
async function echoUpstream(seen: { requests: number; aborted: number } = { requests: 0, aborted: 0 }) {
  return track(await httpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.requests += 1;
    let bytes = 0;
    req.on('data', (c: Buffer) => { bytes += c.length; });
    req.on('aborted', () => { seen.aborted += 1; });
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(`{"bytes":${bytes}}`); });
  }));
}

/** An upstream event stream that sends an event every 50 ms until the client goes away. */
async function streamingUpstream() {
  return track(await httpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const timer = setInterval(() => res.write(`data: {"n":${n++}}\n\n`), 50);
    res.on('close', () => clearInterval(timer));
  }));
}

const STREAM_PATH = '/api/gap/nodes?event=1&mac=CC:1B:E0:E0:00:01';

describe('client-side timeouts and limits', () => {
  it('headers not complete within timeouts.clientHeaders: 408 headers_timeout, counted, connection closed', async () => {
    const seen = { requests: 0, aborted: 0 };
    const up = await echoUpstream(seen);
    const proxy = await proxyTo(up.url, { timeouts: { clientHeaders: 400 } });
    const conn = await rawConnect(proxy.port);
    const sent = performance.now();
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await conn.waitClosed(3000, 'the proxy to close a connection whose headers never ended');
    const waited = (conn.closedAt() ?? 0) - sent;
    expect(statusOf(conn.received())).toBe(408);
    expect(headerOf(conn.received(), 'x-cassia-proxy-error')).toBe('headers_timeout');
    expect(JSON.parse(bodyOf(conn.received()))).toEqual({ error: 'headers_timeout', proxy: 'cassia-ac-proxy' });
    // node checks every tenth of the timeout (50 ms here): the 408 comes within ~10 % late, never early.
    expect(waited).toBeGreaterThanOrEqual(390);
    expect(waited).toBeLessThan(1500);
    expect(await clientErrors(proxy, 'headers_timeout')).toBe(1);
    expect(seen.requests).toBe(0);
  });

  it('headers larger than 16 KiB: 431 headers_too_large', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url);
    const conn = await rawConnect(proxy.port);
    conn.write(`GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await conn.waitClosed(3000, 'the proxy to close after 431');
    expect(statusOf(conn.received())).toBe(431);
    expect(JSON.parse(bodyOf(conn.received()))).toEqual({ error: 'headers_too_large', proxy: 'cassia-ac-proxy' });
    expect(await clientErrors(proxy, 'headers_too_large')).toBe(1);
  });

  it('a malformed request: 400 bad_request in the proxy error shape', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url);
    const conn = await rawConnect(proxy.port);
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
    await conn.waitClosed(3000, 'the proxy to close after 400');
    expect(statusOf(conn.received())).toBe(400);
    expect(headerOf(conn.received(), 'x-cassia-proxy-error')).toBe('bad_request');
    expect(JSON.parse(bodyOf(conn.received()))).toEqual({ error: 'bad_request', proxy: 'cassia-ac-proxy' });
    expect(await clientErrors(proxy, 'bad_request')).toBe(1);
  });

  it('a request body that stalls for timeouts.clientBody: 408 body_timeout, upstream request cancelled, bytesIn = bytes received', async () => {
    const seen = { requests: 0, aborted: 0 };
    const up = await echoUpstream(seen);
    const proxy = await proxyTo(up.url, { timeouts: { clientBody: 300 } });
    const conn = await rawConnect(proxy.port);
    conn.write('POST /api/gatt/nodes/C0:00:5B:D1:AA:BC/handle/39/value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"par');
    await conn.waitClosed(3000, 'the proxy to answer 408 and close');
    expect(statusOf(conn.received())).toBe(408);
    expect(JSON.parse(bodyOf(conn.received()))).toEqual({ error: 'body_timeout', proxy: 'cassia-ac-proxy' });
    await until(() => seen.aborted === 1, 3000, 'the upstream to see its request cancelled');
    const samples = await scrape(proxy.adminUrl);
    expect(find(samples, 'cassia_proxy_requests_total', { code: '408' }).map((s) => [s.labels.origin, s.labels.reason, s.value])).toEqual([['proxy', 'body_timeout', 1]]);
    expect(total(samples, 'cassia_proxy_client_errors_total', { reason: 'body_timeout' })).toBe(1);
    await until(() => proxy.lines.some((l) => l.includes('"code":408')), 3000, 'the access line');
    const line = JSON.parse(proxy.lines.find((l) => l.includes('"code":408')) ?? '{}') as { bytesIn: number };
    expect(line.bytesIn).toBe(5);
  });

  it('a client that goes away mid-body is client_abort (499 recorded), never an upstream failure', async () => {
    const seen = { requests: 0, aborted: 0 };
    const up = await echoUpstream(seen);
    const proxy = await proxyTo(up.url);
    const conn = await rawConnect(proxy.port);
    conn.write('POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"par');
    await until(() => seen.requests === 1, 3000, 'the request to reach the upstream');
    conn.destroy();
    await until(async () => find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').length > 0, 3000, 'the exchange to be recorded');
    expect(find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').map((r) => [r.labels.code, r.labels.origin, r.labels.reason])).toEqual([['499', 'client', 'client_abort']]);
    await until(() => seen.aborted === 1, 3000, 'the upstream request to be cancelled');
  });

  it('a body sent slowly, each pause shorter than timeouts.clientBody, is forwarded whole', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url, { timeouts: { clientBody: 400 } });
    const conn = await rawConnect(proxy.port);
    conn.write('POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab');
    // Total time beyond clientBody: each gap is what counts, not the whole.
    for (const part of ['cd', 'ef']) {
      await new Promise((r) => setTimeout(r, 250)); // deliberate pacing of the client, not a wait for a result
      conn.write(part);
    }
    await conn.waitFor((r) => r.includes('{"bytes":6}'), 3000, 'the echoed body');
    expect(statusOf(conn.received())).toBe(200);
    expect(await clientErrors(proxy, 'body_timeout')).toBe(0);
  });

  it('an upstream that is slow to read the body does not make the client time out (backpressure is not idleness)', async () => {
    let paused = true;
    let received = 0;
    const up = track(await httpServer((req, res) => {
      req.pause();
      setTimeout(() => { paused = false; req.resume(); }, 1200); // the upstream's own pace
      req.on('data', (c: Buffer) => { received += c.length; });
      req.on('end', () => res.end(`{"bytes":${received}}`));
    }));
    const proxy = await proxyTo(up.url, { timeouts: { clientBody: 300 } });
    const size = 16 * 1024 * 1024;
    const res = await request(`${proxy.proxyUrl}/api/gap/nodes`, { method: 'POST', body: Buffer.alloc(size, 1) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(`{"bytes":${size}}`);
    expect(paused).toBe(false);
    expect(await clientErrors(proxy, 'body_timeout')).toBe(0);
  });

  it('an event stream outlives clientHeaders and clientBody with events flowing, and a pipelined half-request behind it does not cut it', async () => {
    const up = await streamingUpstream();
    const proxy = await proxyTo(up.url, { timeouts: { clientHeaders: 300, clientBody: 300, clientKeepAlive: 300 } });
    const conn = await rawConnect(proxy.port);
    conn.write(`GET ${STREAM_PATH} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    await conn.waitFor((r) => r.includes('data: {"n":0}'), 3000, 'the first event');
    // Headers of a second request that never end, pipelined behind the stream.
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n');
    const start = performance.now();
    // 30 events at one per 50 ms: the stream has run ~1.5 s, 5x every client timeout.
    await conn.waitFor((r) => (r.match(/data: /g) ?? []).length >= 30, 5000, '30 events');
    expect(performance.now() - start).toBeGreaterThan(1000);
    expect(conn.closed()).toBe(false);
    expect(statusOf(conn.received())).toBe(200);
    // Counted once, answered never (it would come after the stream).
    expect(await clientErrors(proxy, 'headers_timeout')).toBe(1);
    expect(conn.received()).not.toContain('HTTP/1.1 408');
    conn.destroy();
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_total', { end: 'client_closed' }) === 1, 3000, 'the stream to end as client_closed');
  });

  it('a malformed request pipelined behind one in flight: the first response arrives whole, then the 400, then close', async () => {
    const held: ServerResponse[] = [];
    const up = track(await httpServer((_req, res) => { held.push(res); }));
    const proxy = await proxyTo(up.url);
    const conn = await rawConnect(proxy.port);
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n\r\nGET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n');
    await until(() => held.length === 1, 3000, 'the first request to reach the upstream');
    await until(async () => (await clientErrors(proxy, 'bad_request')) === 1, 3000, 'the broken second request to be counted');
    expect(conn.closed()).toBe(false);
    held[0]?.writeHead(200, { 'content-type': 'application/json' });
    held[0]?.end('["first"]');
    await conn.waitClosed(3000, 'the connection to close after both answers');
    const statuses = [...conn.received().matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 400]);
    expect(conn.received()).toContain('["first"]');
    expect(conn.received()).toContain('{"error":"bad_request","proxy":"cassia-ac-proxy"}');
  });

  it('idle keep-alive connections close after timeouts.clientKeepAlive, and responses announce it', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url, { timeouts: { clientKeepAlive: 2000 } });
    const conn = await rawConnect(proxy.port);
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n\r\n');
    await conn.waitFor((r) => r.includes('{"bytes":0}'), 3000, 'the response');
    const answered = performance.now();
    expect(headerOf(conn.received(), 'keep-alive')).toBe('timeout=2');
    await conn.waitClosed(5000, 'the proxy to close the idle connection');
    expect((conn.closedAt() ?? 0) - answered).toBeGreaterThanOrEqual(1900);
  });

  it('the default keep-alive timeout is 65 s, longer than client pools keep idle connections', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url);
    const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`);
    await res.body.dump();
    expect(res.headers['keep-alive']).toBe('timeout=65');
  });

  it('past limits.maxClientConnections new connections are closed at once and counted; the proxy still serves', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url, { limits: { maxClientConnections: 2 } });
    const first = await rawConnect(proxy.port);
    const second = await rawConnect(proxy.port);
    // Both held open with a request each, so they count.
    first.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n\r\n');
    second.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n\r\n');
    await first.waitFor((r) => r.includes('{"bytes":0}'), 3000, 'first response');
    await second.waitFor((r) => r.includes('{"bytes":0}'), 3000, 'second response');
    const third = await rawConnect(proxy.port);
    await third.waitClosed(3000, 'the third connection to be closed');
    expect(third.received()).toBe('');
    expect(await clientErrors(proxy, 'connection_limit')).toBe(1);
    first.destroy();
    await until(async () => {
      const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`, { reset: true }).catch(() => null);
      if (!res) return false;
      await res.body.dump();
      return res.statusCode === 200;
    }, 3000, 'a request to succeed once a connection is free');
    second.destroy();
  });

  it('every client_errors_total reason is exported from the start at 0', async () => {
    const up = await echoUpstream();
    const proxy = await proxyTo(up.url);
    const rows = find(await scrape(proxy.adminUrl), 'cassia_proxy_client_errors_total');
    expect(rows.map((r) => r.labels.reason).sort()).toEqual(['bad_request', 'body_timeout', 'connection_limit', 'headers_timeout', 'headers_too_large']);
    expect(rows.every((r) => r.value === 0)).toBe(true);
  });

  it('a reload applies new client timeouts and the connection cap to the running listener', async () => {
    const up = await echoUpstream();
    const next = testConfig(up.url, { timeouts: { clientKeepAlive: 7000 } });
    const proxy = await proxyTo(up.url, {}, () => next);
    expect((await proxy.reload()).ok).toBe(true);
    const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`);
    await res.body.dump();
    expect(res.headers['keep-alive']).toBe('timeout=7');
  });
});
