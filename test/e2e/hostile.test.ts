/**
 * Hostile requests, written byte for byte on raw sockets, against the real proxy in front of the
 * real simulator (behind a relay that counts what reaches it), with a decoy listener on another loopback port that a confused proxy might be
 * talked into dialling. Each case: the status the proxy answers (the proxy's own error, or the
 * simulator's answer for a request it forwards), that the connection ends, that the decoy saw no
 * connection, and that the proxy still answers a normal request afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { connect, type Socket } from 'node:net';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, tcpServer, type TestServer } from '../helpers/servers.js';
import { rawConnect, statusOf, headerOf, bodyOf } from '../helpers/raw-client.js';
import { scrape, total } from '../helpers/metrics.js';
import type { Server as NetServer } from 'node:net';

let sim: Simulator;
let proxy: RunningProxy;
let decoy: TestServer<NetServer>;
let decoyConnections = 0;
let token = '';
let proxyPort = 0;
/** Request lines that reached the simulator (through a counting relay in front of it). */
let upstreamRequests = 0;
let relay: TestServer<NetServer>;

beforeAll(async () => {
  sim = await createSimulator({ gateways: 2, seed: 1, profile: 'clean' });
  decoy = await tcpServer((socket: Socket) => {
    decoyConnections += 1;
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nDECOY');
  });
  // A byte-for-byte relay in front of the simulator that counts the request lines going through.
  const simPort = Number(new URL(sim.url).port);
  relay = await tcpServer((socket: Socket) => {
    const upstream = connect(simPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    // ' HTTP/1.1\r\n' ends every request line and nothing else these requests send; the tail
    // kept between chunks is shorter than it, so no line is counted twice.
    let tail = '';
    socket.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1');
      upstreamRequests += text.split(' HTTP/1.1\r\n').length - 1;
      tail = text.slice(-10);
    });
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  proxy = await startProxy(testConfig(relay.url, { timeouts: { clientHeaders: 1000, clientBody: 1000 } }), { log: capturedLogger('error').log });
  proxyPort = Number(new URL(proxy.proxyUrl).port);
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  token = ((await res.body.json()) as { access_token: string }).access_token;
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await decoy?.close();
  await relay?.close();
  await sim?.close();
});

/** The status a client gets for GET `path` straight from the simulator (what a forwarded request must get). */
async function simulatorStatus(path: string): Promise<number> {
  const res = await request(sim.url + path, { headers: { authorization: `Bearer ${token}` } });
  await res.body.dump();
  return res.statusCode;
}

/** A normal request through the proxy works. */
async function proxyStillServes(): Promise<void> {
  const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.statusCode).toBe(200);
  expect(Array.isArray(await res.body.json())).toBe(true);
}

/** Sends `bytes` on a fresh connection and waits for the proxy to close it. */
async function send(bytes: string | Buffer): Promise<string> {
  const conn = await rawConnect(proxyPort);
  conn.write(bytes);
  await conn.waitClosed(5000, 'the proxy to close the connection');
  return conn.received();
}

const decoyHost = (): string => `127.0.0.1:${decoy.port}`;
const auth = (): string => `Authorization: Bearer ${token}\r\n`;

interface Case {
  name: string;
  bytes: () => string | Buffer;
  /** The proxy's own error: status and reason; or the simulator's answer for `forwarded` (DECOY: the decoy's host:port). */
  expect: { status: number; reason: string } | { forwarded: string; responses?: number };
}

const CASES: Case[] = [
  // Where the request goes: only ever the configured upstream.
  { name: 'absolute-form URL naming the decoy', bytes: () => `GET http://${decoyHost()}/api/cassia/hubs HTTP/1.1\r\nHost: ${decoyHost()}\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'absolute-form URL with user-info and only an authority', bytes: () => `GET http://user:pw@${decoyHost()} HTTP/1.1\r\nHost: x\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/' } },
  { name: 'https absolute-form URL naming the decoy', bytes: () => `GET https://${decoyHost()}/api/cassia/hubs HTTP/1.1\r\nHost: x\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'scheme-relative path naming the decoy', bytes: () => `GET //${decoyHost()}/api/cassia/hubs HTTP/1.1\r\nHost: x\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '//DECOY/api/cassia/hubs' } },
  { name: 'CONNECT to the decoy', bytes: () => `CONNECT ${decoyHost()} HTTP/1.1\r\nHost: ${decoyHost()}\r\n\r\n`, expect: { status: 405, reason: 'bad_request' } },
  { name: 'Host: the decoy', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: ${decoyHost()}\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'X-Forwarded-Host and Forwarded naming the decoy', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-Forwarded-Host: ${decoyHost()}\r\nForwarded: host=${decoyHost()}\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'Upgrade: websocket', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: ${decoyHost()}\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n${auth()}\r\n`, expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'no Host (HTTP/1.1)', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'two Host fields', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nHost: ${decoyHost()}\r\n\r\n`, expect: { status: 400, reason: 'bad_request' } },
  { name: 'an asterisk-form target', bytes: () => 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  // Request smuggling: every ambiguous framing is refused, never forwarded.
  { name: 'Content-Length and Transfer-Encoding', bytes: () => `POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://${decoyHost()}/ HTTP/1.1\r\nHost: ${decoyHost()}\r\n\r\n`, expect: { status: 400, reason: 'bad_request' } },
  { name: 'Transfer-Encoding and Content-Length', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'two different Content-Lengths', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'two equal Content-Lengths', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'Content-Length: +4', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'Content-Length: 4, 4', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'Transfer-Encoding: xchunked', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'Transfer-Encoding: chunked, identity', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'Transfer-Encoding with a space before the colon', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'obs-fold (a header continued on the next line)', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'obs-fold hiding Transfer-Encoding', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\nabcd', expect: { status: 400, reason: 'bad_request' } },
  { name: 'a space before the colon', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\r\nHost : x\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'bare LF line ends', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\nHost: x\n\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'a bare CR in the request line', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\rHost: x\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'a bare CR inside a header value', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'a bare LF inside a header value', bytes: () => 'GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-A: a\nb: c\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  // Size and bytes.
  { name: 'a huge header', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, expect: { status: 431, reason: 'headers_too_large' } },
  { name: 'many small headers over 16 KiB', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1500 }, (_, i) => `X-H${i}: 0123456789\r\n`).join('')}\r\n`, expect: { status: 431, reason: 'headers_too_large' } },
  { name: 'a huge URL', bytes: () => `GET /api/cassia/hubs?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, expect: { status: 431, reason: 'headers_too_large' } },
  { name: 'a bad chunk size in the body', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'a chunk longer than its size', bytes: () => 'POST /api/gap/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'NUL in the path', bytes: () => Buffer.from('GET /api/cassia/hubs\x00x HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'), expect: { status: 400, reason: 'bad_request' } },
  { name: 'NUL in a header value', bytes: () => Buffer.from('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 'latin1'), expect: { status: 400, reason: 'bad_request' } },
  { name: 'NUL in a header name', bytes: () => Buffer.from('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\nX-\x00A: b\r\n\r\n', 'latin1'), expect: { status: 400, reason: 'bad_request' } },
  { name: 'non-UTF-8 bytes in the path', bytes: () => Buffer.concat([Buffer.from('GET /api/cassia/hubs/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]), expect: { status: 400, reason: 'bad_request' } },
  // obs-text (bytes 0x80-0xFF) is allowed in a header value: forwarded as it is.
  { name: 'non-UTF-8 bytes in a header value', bytes: () => Buffer.concat([Buffer.from(`GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n${auth()}X-A: `), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\r\nConnection: close\r\n\r\n')]), expect: { forwarded: '/api/cassia/hubs' } },
  { name: 'a garbage request line', bytes: () => 'HELLO\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  { name: 'HTTP/2 preface', bytes: () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', expect: { status: 400, reason: 'bad_request' } },
  // Two requests on one connection, the second naming the decoy: both go to the simulator.
  { name: 'a pipelined second request naming the decoy', bytes: () => `GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n${auth()}\r\nGET http://${decoyHost()}/api/cassia/hubs HTTP/1.1\r\nHost: ${decoyHost()}\r\n${auth()}Connection: close\r\n\r\n`, expect: { forwarded: '/api/cassia/hubs', responses: 2 } },
];

describe('hostile requests against the proxy in front of the simulator', () => {
  it.each(CASES)('$name', async (c) => {
    const errorsBefore = total(await scrape(proxy.adminUrl), 'cassia_proxy_client_errors_total');
    const requestsBefore = upstreamRequests;
    const received = await send(c.bytes());
    if ('forwarded' in c.expect) {
      const expected = await simulatorStatus(c.expect.forwarded.replace('DECOY', decoyHost()));
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      expect(statuses).toEqual(Array.from({ length: c.expect.responses ?? 1 }, () => expected));
      expect(headerOf(received, 'x-cassia-proxy-error')).toBeUndefined();
      expect(received).not.toContain('DECOY');
      expect(upstreamRequests - requestsBefore).toBe(c.expect.responses ?? 1);
    } else {
      expect(statusOf(received)).toBe(c.expect.status);
      expect(headerOf(received, 'x-cassia-proxy-error')).toBe(c.expect.reason);
      expect(JSON.parse(bodyOf(received))).toEqual({ error: c.expect.reason, proxy: 'cassia-ac-proxy' });
      // Exactly one answer: nothing smuggled behind it was answered too.
      expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      expect(total(await scrape(proxy.adminUrl), 'cassia_proxy_client_errors_total')).toBe(errorsBefore + 1);
      // Refused means never forwarded: not a byte of it reached the upstream.
      expect(upstreamRequests - requestsBefore).toBe(0);
    }
    expect(decoyConnections).toBe(0);
    await proxyStillServes();
  });

  it('headers sent too slowly: 408, and the proxy still serves', async () => {
    const conn = await rawConnect(proxyPort);
    conn.write('GET /api/cassia/hubs HTTP/1.1\r\nHost: x\r\n');
    await conn.waitClosed(5000, 'the 408');
    expect(statusOf(conn.received())).toBe(408);
    expect(decoyConnections).toBe(0);
    await proxyStillServes();
  });

  it('a body that stops: 408, and the proxy still serves', async () => {
    const conn = await rawConnect(proxyPort);
    // The token endpoint reads the whole body before it answers.
    conn.write('POST /api/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\ngrant_type=');
    await conn.waitClosed(5000, 'the 408');
    expect(statusOf(conn.received())).toBe(408);
    expect(headerOf(conn.received(), 'x-cassia-proxy-error')).toBe('body_timeout');
    await proxyStillServes();
  });

  it('nothing reached the decoy in the whole file, and nothing was counted as an analysis fault', async () => {
    expect(decoyConnections).toBe(0);
    expect(total(await scrape(proxy.adminUrl), 'cassia_proxy_analysis_errors_total')).toBe(0);
  });
});
