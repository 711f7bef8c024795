/**
 * Broken upstreams, made of raw TCP servers that write exactly the bytes of each fault: what the
 * client gets from the real proxy and the requests_total series it records. And an error code no
 * table knows: the default reason, logged once per code.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { startProxy, type RunningProxy } from '../../src/main.js';
import type { Exchange as ExchangeType, ExchangeContext } from '../../src/proxy/exchange.js';
import { Exchange } from '../../src/proxy/exchange.js';
import { createUnknownFailureLog, UNKNOWN_CODES_LOGGED } from '../../src/proxy/unknown-failures.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, tcpServer } from '../helpers/servers.js';
import { find, scrape } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';
import type { GatewayHandle } from '../../src/gateways/handle.js';

const { defer, track } = cleanupAfterEach();

async function proxyTo(upstream: string): Promise<RunningProxy & { lines: string[] }> {
  const { log, lines } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream), { log });
  defer(() => proxy.close());
  return Object.assign(proxy, { lines });
}

/** An upstream that reads the request, writes `bytes` and closes. */
async function rawUpstream(bytes: string) {
  return track(await tcpServer((socket: Socket) => socket.once('data', () => socket.end(bytes))));
}

const PATH = '/api/cassia/hubs';

async function requestsTotal(proxy: RunningProxy): Promise<Array<[string, string, string, number]>> {
  return find(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total').map((s) => [s.labels.code ?? '', s.labels.origin ?? '', s.labels.reason ?? '', s.value]);
}

describe('upstream faults through the proxy (raw TCP upstreams)', () => {
  it.each<[string, string, string]>([
    ['two different Content-Length values', 'bad_response', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde'],
    ['Content-Length together with Transfer-Encoding: chunked', 'bad_response', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n'],
    ['Transfer-Encoding: chunked, then Content-Length', 'bad_response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n4\r\nabcd\r\n0\r\n\r\n'],
    ['100 Continue, then close', 'upstream_reset', 'HTTP/1.1 100 Continue\r\n\r\n'],
    ['a garbage status line', 'bad_response', 'HELLO THERE\r\n\r\n'],
    ['a status code that is not a number', 'bad_response', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['response headers over undici\'s limit', 'bad_response', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
    ['an unsolicited 101 Switching Protocols', 'bad_response', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n'],
    ['half the headers, then close', 'upstream_reset', 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n'],
    ['nothing at all, then close', 'upstream_reset', ''],
  ])('%s: 502 proxy/%s', async (_name, reason, bytes) => {
    const up = await rawUpstream(bytes);
    const proxy = await proxyTo(up.url);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-cassia-proxy-error']).toBe(reason);
    expect(await res.body.json()).toEqual({ error: reason, proxy: 'cassia-ac-proxy' });
    expect(await requestsTotal(proxy)).toEqual([['502', 'proxy', reason, 1]]);
    expect(proxy.lines.filter((l) => l.includes('unknown error code'))).toEqual([]);
  });

  it.each<[string, string]>([
    ['close mid-body (Content-Length, keep-alive)', 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":'],
    ['close mid-body (Content-Length, Connection: close)', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{"partial":'],
    ['close mid-chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc'],
  ])('%s: the client gets 200 and a cut body, upstream/body_reset', async (_name, bytes) => {
    const up = await rawUpstream(bytes);
    const proxy = await proxyTo(up.url);
    const res = await request(proxy.proxyUrl + PATH);
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    await until(async () => (await requestsTotal(proxy)).length > 0, 3000, 'the exchange to be recorded');
    expect(await requestsTotal(proxy)).toEqual([['200', 'upstream', 'body_reset', 1]]);
  });

  it('a 102 Processing before the final answer is passed over: the client gets the 200', async () => {
    const up = await rawUpstream('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const proxy = await proxyTo(up.url);
    const res = await request(proxy.proxyUrl + PATH);
    expect([res.statusCode, await res.body.text()]).toEqual([200, 'ok']);
    expect(await requestsTotal(proxy)).toEqual([['200', 'upstream', 'response', 1]]);
  });
});

describe('an error code no table knows', () => {
  it('is answered with the default (502 upstream_reset) and reported to the context', async () => {
    const unknown: string[] = [];
    const finished: string[] = [];
    const gateway = { transport: 'none', label: 'none', counts: { request: () => undefined } } as unknown as GatewayHandle;
    const ctx: ExchangeContext = {
      recorder: { headers: () => undefined, streamStarted: () => undefined, finish: (r) => void finished.push(`${r.outcome.status} ${r.outcome.reason}`) },
      accessLog: false,
      openTap: () => null,
      openBodyTap: () => null,
      release: () => undefined,
      vouch: (g) => g,
      clientError: () => undefined,
      clientStallMs: 75_000,
      unknownFailure: (code) => void unknown.push(code),
      requestSequence: false,
      maxEventBytes: 1 << 20,
      sequenceFallback: () => undefined,
    };
    let exchange: ExchangeType | null = null;
    const server = createServer((_req, res) => {
      exchange = new Exchange(ctx, res, { started: performance.now(), route: 'other', pathname: '/x', method: 'GET', gateway });
      exchange.onConnect(() => undefined);
      exchange.onError(Object.assign(new Error('something new'), { code: 'ERR_SOMETHING_NEW' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    defer(() => { server.closeAllConnections(); server.close(); });
    const res = await request(`http://127.0.0.1:${(server.address() as { port: number }).port}/x`);
    expect(res.statusCode).toBe(502);
    expect(await res.body.json()).toEqual({ error: 'upstream_reset', proxy: 'cassia-ac-proxy' });
    expect(exchange).not.toBeNull();
    expect(unknown).toEqual(['ERR_SOMETHING_NEW']);
    expect(finished).toEqual(['502 upstream_reset']);
  });

  it('is logged once per code (warn), for a bounded number of codes', () => {
    const { logger, lines } = capturedLogger();
    const report = createUnknownFailureLog(logger);
    report('ERR_A', new Error('a'));
    report('ERR_A', new Error('a again'));
    report('ERR_B', new Error('b'));
    expect(lines.map((l) => JSON.parse(l) as { level: string; code: string }).map((l) => [l.level, l.code])).toEqual([['warn', 'ERR_A'], ['warn', 'ERR_B']]);
    for (let i = 0; i < UNKNOWN_CODES_LOGGED * 2; i++) report(`ERR_${i}`, new Error('x'));
    expect(lines.length).toBe(UNKNOWN_CODES_LOGGED);
  });
});
