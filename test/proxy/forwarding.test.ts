/** Forwarding behaviour of the real proxy against real loopback upstreams. */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { connect } from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer } from '../helpers/servers.js';
import { find, scrape } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

async function proxyTo(upstream: string, overrides: Parameters<typeof testConfig>[1] = {}): Promise<RunningProxy & { logLines: string[] }> {
  const { log, lines } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream, overrides), { log });
  defer(() => proxy.close());
  return Object.assign(proxy, { logLines: lines });
}


/** True once `raw` holds a whole HTTP/1.1 response: its head and a body as long as it declares. */
function wholeResponse(raw: string): boolean {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = raw.slice(0, end);
  const body = raw.slice(end + 4);
  if (/^transfer-encoding:\s*chunked/im.test(head)) return body.endsWith('0\r\n\r\n');
  const length = /^content-length:\s*(\d+)/im.exec(head)?.[1];
  return length === undefined ? false : Buffer.byteLength(body, 'latin1') >= Number(length);
}

/** Sends raw bytes to a port and returns everything the server sent back, once it closed or sent a whole response. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  let closed = false;
  socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
  socket.on('close', () => { closed = true; });
  socket.write(text);
  try {
    await until(() => closed || wholeResponse(received), 10_000, 'a whole response or the close');
  } catch (err) {
    throw new Error(`${(err as Error).message}; got ${JSON.stringify(received)}`);
  } finally {
    socket.destroy();
  }
  return received;
}

describe('forwarding', () => {
  it('round-trips a multi-megabyte binary request and response body byte for byte', async () => {
    const requestBody = randomBytes(5 * 1024 * 1024 + 7);
    const responseBody = randomBytes(7 * 1024 * 1024 + 3);
    let upstreamSaw = '';
    const up = track(await httpServer((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (c: Buffer) => hash.update(c));
      req.on('end', () => {
        upstreamSaw = hash.digest('hex');
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // Written in uneven pieces so the proxy sees many chunks.
        let offset = 0;
        const step = (): void => {
          while (offset < responseBody.length) {
            const end = Math.min(offset + 65_537, responseBody.length);
            const more = res.write(responseBody.subarray(offset, end));
            offset = end;
            if (!more) { res.once('drain', step); return; }
          }
          res.end();
        };
        step();
      });
    }));
    const proxy = await proxyTo(up.url);
    const res = await request(`${proxy.proxyUrl}/api/gatt/nodes/AA:BB:CC:DD:EE:FF/handle/3/value`, { method: 'POST', body: requestBody });
    const received = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(upstreamSaw).toBe(createHash('sha256').update(requestBody).digest('hex'));
    expect(received.length).toBe(responseBody.length);
    expect(received.equals(responseBody)).toBe(true);
  });

  it('passes SSE events through one by one as they are sent, not batched', async () => {
    const event = (n: number): string => `data: {"id":"AA:BB:CC:DD:EE:01","value":"01","handle":3,"seqNum":${n}}`;
    let delivered = 0;
    const up = track(await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // Lock-step: the next event is sent only once the client has the previous one, so a proxy
      // that held an event for a later write would never deliver it (and the wait below times out).
      void (async () => {
        for (let n = 1; n <= 8; n++) {
          res.write(`${event(n)}\n\n`);
          await until(() => delivered >= n, 10_000, `event ${n} at the client`);
        }
        res.end();
      })().catch(() => res.destroy());
    }));
    const proxy = await proxyTo(up.url);
    const res = await request(`${proxy.proxyUrl}/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01&sequence=2`);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const chunks: string[] = [];
    let text = '';
    for await (const chunk of res.body) {
      chunks.push((chunk as Buffer).toString());
      text += (chunk as Buffer).toString();
      delivered = text.split('\n\n').length - 1;
    }
    expect(text.split('\n\n').filter(Boolean)).toEqual(Array.from({ length: 8 }, (_, i) => event(i + 1)));
    // Each event arrived in its own chunk: nothing was merged or split on the way.
    expect(chunks).toEqual(Array.from({ length: 8 }, (_, i) => `${event(i + 1)}\n\n`));
  });

  it('strips hop-by-hop headers both ways, including those named in Connection, and adds X-Forwarded-*', async () => {
    let seen: IncomingHttpHeaders = {};
    const up = track(await httpServer((req, res) => {
      seen = req.headers;
      res.writeHead(200, [
        'Content-Type', 'text/plain', 'Connection', 'x-upstream-private', 'X-Upstream-Private', 'secret-hop',
        'Keep-Alive', 'timeout=99', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Proxy-Authenticate', 'Basic', 'X-Kept', 'yes',
      ]);
      res.end('ok');
    }));
    const proxy = await proxyTo(up.url);
    const port = Number(new URL(proxy.proxyUrl).port);
    const raw = await rawExchange(port,
      'GET /api/cassia/hubs HTTP/1.1\r\nHost: app.internal:8080\r\nConnection: keep-alive, X-Client-Private\r\n' +
      'X-Client-Private: hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n' +
      'Upgrade: websocket\r\nX-Forwarded-For: 10.1.2.3\r\nX-App: kept\r\n\r\n');
    expect(seen['x-client-private']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.upgrade).toBeUndefined();
    expect(seen['x-app']).toBe('kept');
    expect(seen.host).toBe(new URL(up.url).host);
    expect(seen['x-forwarded-for']).toBe('10.1.2.3, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('app.internal:8080');
    const head = raw.split('\r\n\r\n')[0] ?? '';
    expect(head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head).not.toMatch(/x-upstream-private/i);
    expect(head).not.toMatch(/proxy-authenticate/i);
    expect(head).not.toMatch(/timeout=99/i);
    expect(head.match(/^set-cookie: .*$/gim)).toEqual(['Set-Cookie: a=1', 'Set-Cookie: b=2']);
    expect(head).toMatch(/^X-Kept: yes$/m);
  });

  it('an absolute-form target never reaches another host: only the path goes to the upstream', async () => {
    const paths: string[] = [];
    let otherHit = false;
    const up = track(await httpServer((req, res) => { paths.push(req.url ?? ''); res.end('upstream'); }));
    const other = track(await httpServer((_req, res) => { otherHit = true; res.end('other'); }));
    const proxy = await proxyTo(up.url);
    const port = Number(new URL(proxy.proxyUrl).port);
    const raw = await rawExchange(port, `GET ${other.url}/api/cassia/hubs?x=1 HTTP/1.1\r\nHost: ${new URL(other.url).host}\r\nConnection: close\r\n\r\n`);
    expect(raw).toMatch(/upstream$/);
    expect(paths).toEqual(['/api/cassia/hubs?x=1']);
    expect(otherHit).toBe(false);
  });

  it('CONNECT is refused with 405 and never dials the named host', async () => {
    let otherHit = false;
    const up = track(await httpServer((_req, res) => res.end('upstream')));
    const other = track(await httpServer((_req, res) => { otherHit = true; res.end('other'); }));
    other.server.on('connection', () => { otherHit = true; });
    const proxy = await proxyTo(up.url);
    const port = Number(new URL(proxy.proxyUrl).port);
    const raw = await rawExchange(port, `CONNECT ${new URL(other.url).host} HTTP/1.1\r\nHost: ${new URL(other.url).host}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 405/);
    expect(raw).toMatch(/x-cassia-proxy-error: bad_request/);
    expect(otherHit).toBe(false);
    const samples = await scrape(proxy.adminUrl);
    expect(find(samples, 'cassia_proxy_requests_total', { method: 'CONNECT', code: '405', origin: 'proxy', reason: 'bad_request' })).toHaveLength(1);
  });

  it('attributes requests to the mac gateway (normalised) with its transport, and a malformed mac to none', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const proxy = await proxyTo(up.url, { transport: { default: 'mqtt', gateways: { 'CC:1B:E0:E0:00:01': { transport: 'capwap' } } } });
    await (await request(`${proxy.proxyUrl}/api/gap/nodes/C0:00:00:00:00:01/connection?mac=cc-1b-e0-e0-00-01`, { method: 'POST', body: '{"type":"public"}' })).body.dump();
    await (await request(`${proxy.proxyUrl}/api/cassia/info?mac=CC:1B:E0:E0:00:02`)).body.dump();
    await (await request(`${proxy.proxyUrl}/api/cassia/info?mac=not-a-mac`)).body.dump();
    await (await request(`${proxy.proxyUrl}/some/raw/path/AA:BB`)).body.dump();
    const samples = await scrape(proxy.adminUrl);
    const rows = find(samples, 'cassia_proxy_requests_total').map((s) => `${s.labels.route} ${s.labels.method} ${s.labels.transport}`).sort();
    expect(rows).toEqual([
      '/api/cassia/info GET mqtt',
      '/api/cassia/info GET none',
      '/api/gap/nodes/{device}/connection POST capwap',
      'other GET none',
    ]);
    const gws = find(samples, 'cassia_proxy_gateway_requests_total').map((s) => `${s.labels.gateway} ${s.labels.transport}`).sort();
    expect(gws).toEqual(['CC:1B:E0:E0:00:01 capwap', 'CC:1B:E0:E0:00:02 mqtt']);
  });

  it('folds gateways past limits.maxGateways into "other" and counts the overflow', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    const proxy = await proxyTo(up.url, { limits: { maxGateways: 2 } });
    for (const n of [1, 2, 3, 4, 1]) await (await request(`${proxy.proxyUrl}/api/cassia/info?mac=CC:1B:E0:E0:00:0${n}`)).body.dump();
    const samples = await scrape(proxy.adminUrl);
    const gws = Object.fromEntries(find(samples, 'cassia_proxy_gateway_requests_total').map((s) => [s.labels.gateway, s.value]));
    expect(gws).toEqual({ 'CC:1B:E0:E0:00:01': 2, 'CC:1B:E0:E0:00:02': 1, other: 2 });
    expect(find(samples, 'cassia_proxy_label_overflow_total', { label: 'gateway' })[0]?.value).toBe(2);
  });

  it('never writes a Bearer token, Basic credentials or an access_token value to the log or a metric', async () => {
    const up = track(await httpServer((req, res) => { res.writeHead(req.url?.includes('fail') ? 500 : 200); res.end('chip is busy'); }));
    const proxy = await proxyTo(up.url);
    const token = 'tok-3f9a8b7c6d5e4f3a2b1c';
    const basic = Buffer.from('my-key:my-very-secret-secret').toString('base64');
    await (await request(`${proxy.proxyUrl}/api/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` }, body: 'grant_type=client_credentials' })).body.dump();
    await (await request(`${proxy.proxyUrl}/api/gap/nodes?event=0&mac=CC:1B:E0:E0:00:01&access_token=${token}`)).body.dump();
    await (await request(`${proxy.proxyUrl}/api/cassia/hubs?fail=1`, { headers: { authorization: `Bearer ${token}` } })).body.dump();
    const metricsText = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    await proxy.close();
    expect(metricsText).toContain('cassia_proxy_requests_total{route="/api/oauth2/token"');
    expect(metricsText).not.toContain(token);
    expect(metricsText).not.toContain(basic);
    expect(proxy.logLines.length).toBeGreaterThanOrEqual(3);
    const all = proxy.logLines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(basic);
    expect(all).not.toContain('my-very-secret-secret');
    // The access log still says what happened.
    expect(proxy.logLines.some((l) => l.includes('"route":"/api/oauth2/token"'))).toBe(true);
  });
});
