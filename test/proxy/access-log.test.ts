/** The access log: one JSON line per exchange, pino's shape, no secrets, silent above info. */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { startProxy } from '../../src/main.js';
import { pino } from 'pino';
import type { LineSink } from '../../src/log.js';
import { createAccessLog, putTenths } from '../../src/proxy/access-log.js';
import type { ExchangeRecord } from '../../src/proxy/exchange-record.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, closedPort, httpServer } from '../helpers/servers.js';
import { bodyOf, rawConnect } from '../helpers/raw-client.js';
import { openSse } from '../helpers/sse-client.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

describe('access log', () => {
  it('writes the documented line, and the stream fields before msg', () => {
    const lines: string[] = [];
    const sink: LineSink = (maxBytes, fill, item) => {
      // Bytes past the fill's end would show as garbage: start from a marked buffer.
      const buf = Buffer.alloc(maxBytes + 16, '~');
      const end = fill(buf, 0, item);
      expect(end).toBeLessThanOrEqual(maxBytes);
      lines.push(buf.toString('utf8', 0, end));
    };
    const write = createAccessLog(pino({ level: 'info' }, { write: () => undefined }), sink);
    const r = {
      route: '/api/gatt/nodes/{device}/handle/{handle}/value', method: 'GET',
      gateway: { label: 'CC:1B:E0:E0:00:01', transport: 'capwap' },
      outcome: { origin: 'upstream', reason: 'response', status: 502 },
      headersMs: 812.44, totalMs: 812.61, endedAt: Date.UTC(2026, 10, 27, 5, 52, 4, 155) + 0.61, bytesIn: 0, bytesOut: 19, stream: null, streamEnd: null,
    } as unknown as ExchangeRecord;
    write(r);
    // The example line of docs/reference.md "Logs".
    expect(lines[0]).toBe(
      '{"level":"info","time":"2026-11-27T05:52:04.155Z","app":"cassia-ac-proxy","route":"/api/gatt/nodes/{device}/handle/{handle}/value",' +
      '"method":"GET","gateway":"CC:1B:E0:E0:00:01","transport":"capwap","code":502,"origin":"upstream","reason":"response",' +
      '"headersMs":812.4,"durationMs":812.6,"bytesIn":0,"bytesOut":19,"msg":"GET /api/gatt/nodes/{device}/handle/{handle}/value 502 upstream/response"}\n',
    );
    const stream = { ...r, route: '/api/gap/nodes', outcome: { origin: 'upstream', reason: 'response', status: 200 }, stream: 'scan', streamEnd: 'client_closed' } as unknown as ExchangeRecord;
    write(stream);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ route: '/api/gap/nodes', code: 200, stream: 'scan', end: 'client_closed', msg: 'GET /api/gap/nodes 200 upstream/response' });
    expect(lines[1]).not.toContain('sequenceRequested');
    // A stream whose sequence=2 the proxy added says so, after the stream fields.
    write({ ...stream, route: '/api/gatt/nodes', stream: 'notification', sequenceRequested: true } as unknown as ExchangeRecord);
    expect(lines[2]).toContain('"stream":"notification","end":"client_closed","sequenceRequested":true,"msg":"GET /api/gatt/nodes 200 upstream/response"}\n');
    expect(JSON.parse(lines[2] ?? '')).toMatchObject({ sequenceRequested: true });
  });

  it('writes the same fields past the bound of its cache of joined parts', () => {
    const lines: string[] = [];
    const sink: LineSink = (maxBytes, fill, item) => {
      const buf = Buffer.alloc(maxBytes);
      lines.push(buf.toString('utf8', 0, fill(buf, 0, item)));
    };
    const write = createAccessLog(pino({ level: 'info' }, { write: () => undefined }), sink);
    // 3,000 gateways × 2 outcomes: past the 4,096 joined combinations, lines come from the single parts.
    const expected: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 3000; i++) {
      for (const status of [200, 504]) {
        const label = `CC:1B:E0:${String(i).padStart(6, '0').replace(/(..)(..)(..)/, '$1:$2:$3')}`;
        const origin = status === 200 ? 'upstream' : 'proxy';
        const reason = status === 200 ? 'response' : 'headers_timeout';
        write({
          route: '/api/gap/nodes', method: 'GET', gateway: { label, transport: 'mqtt' }, outcome: { origin, reason, status },
          headersMs: i / 10, totalMs: i, bytesIn: i, bytesOut: 2 ** 40 + i, stream: i % 2 ? 'scan' : null, streamEnd: i % 2 ? 'idle_timeout' : null,
        } as unknown as ExchangeRecord);
        expected.push({
          route: '/api/gap/nodes', gateway: label, transport: 'mqtt', code: status, origin, reason, headersMs: Math.round(i) / 10,
          durationMs: i, bytesIn: i, bytesOut: 2 ** 40 + i, ...(i % 2 ? { stream: 'scan', end: 'idle_timeout' } : {}),
          msg: `GET /api/gap/nodes ${status} ${origin}/${reason}`,
        });
      }
    }
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => expect(JSON.parse(line), line).toMatchObject(expected[i] as Record<string, unknown>));
  });

  it('writes durations to 0.1 ms, the same text as String(Math.round(ms * 10) / 10)', () => {
    const values = [-1, 0, 0.04, 0.05, 0.96, 1, 1.25, 9.95, 12.34, 999.99, 86_400_000.07, 3e9 + 0.3, 1e300, -0.5, Number.NaN];
    for (let i = 0; i < 5_000; i++) values.push(i * 0.0731, i * 7.919 + 0.05);
    const buf = Buffer.alloc(64);
    for (const ms of values) expect(buf.toString('latin1', 8, putTenths(buf, 8, ms)), String(ms)).toBe(String(Math.round(ms * 10) / 10));
  });

  it('bytesIn is the body bytes received, with or without Content-Length, never the declared length', async () => {
    const up = track(await httpServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); }));
    const { log, lines } = capturedLogger();
    const proxy = await startProxy(testConfig(up.url), { log });
    defer(() => proxy.close());
    const body = Buffer.alloc(70_001, 7);
    await (await request(`${proxy.proxyUrl}/api/gap/nodes`, { method: 'POST', body })).body.dump();
    // A stream body goes out chunked: no Content-Length at all.
    await (await request(`${proxy.proxyUrl}/api/gap/nodes`, { method: 'POST', body: Readable.from([Buffer.alloc(10), Buffer.alloc(25)]) })).body.dump();
    await (await request(`${proxy.proxyUrl}/api/cassia/hubs`)).body.dump();
    await until(() => lines.filter((l) => l.includes('"route"')).length === 3, 3000, 'three access lines');
    const bytesIn = lines.filter((l) => l.includes('"route"')).map((l) => (JSON.parse(l) as { bytesIn: number }).bytesIn);
    expect(bytesIn).toEqual([70_001, 35, 0]);
  });

  it('regression: bytesOut counts the body of the answers the proxy makes itself, as the client received it', async () => {
    const { log, lines } = capturedLogger();
    const proxy = await startProxy(testConfig(`http://127.0.0.1:${await closedPort()}`), { log });
    defer(() => proxy.close());
    const received: number[] = [];
    // 502 connect_error, and the same for HEAD (no body goes out).
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await request(`${proxy.proxyUrl}/api/cassia/hubs`, { method });
      expect(res.statusCode).toBe(502);
      received.push((await res.body.arrayBuffer()).byteLength);
    }
    // A request refused before forwarding (HTTP/1.1 without Host), and CONNECT, on raw sockets.
    for (const raw of ['GET /api/cassia/hubs HTTP/1.1\r\n\r\n', 'CONNECT ac.example.com:443 HTTP/1.1\r\nHost: ac.example.com:443\r\n\r\n']) {
      const conn = await rawConnect(Number(new URL(proxy.proxyUrl).port));
      conn.write(raw);
      await conn.waitClosed(3000, 'the proxy to answer and close');
      received.push(Buffer.byteLength(bodyOf(conn.received()), 'latin1'));
    }
    const accessLines = () => lines.map((l) => JSON.parse(l) as { route?: string; code: number; bytesOut: number }).filter((l) => l.route);
    await until(() => accessLines().length === 4, 3000, 'four access lines');
    expect(received[0]).toBeGreaterThan(0);
    expect(received[1]).toBe(0);
    expect(accessLines().map((l) => [l.code, l.bytesOut])).toEqual([[502, received[0]], [502, 0], [400, received[2]], [405, received[3]]]);
  });

  it('writes one parsable line per exchange with the outcome, timings and stream end', async () => {
    const up = track(await httpServer((req, res) => {
      if (req.url?.startsWith('/api/gatt/nodes?')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"id":"AA:BB:CC:DD:EE:01","seqNum":1}\n\n');
        return;
      }
      res.writeHead(502);
      res.end('bad gateway from AC');
    }));
    const { log, lines } = capturedLogger();
    const proxy = await startProxy(testConfig(up.url, { transport: { gateways: { 'CC:1B:E0:E0:00:01': { transport: 'capwap' } } } }), { log });
    defer(() => proxy.close());
    await (await request(`${proxy.proxyUrl}/api/gatt/nodes/C0:00:00:00:00:01/handle/39/value/cafe?mac=cc:1b:e0:e0:00:01&access_token=secret-token-1`)).body.dump();
    const sse = await openSse(`${proxy.proxyUrl}/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:00:01`);
    await sse.done;
    const accessLines = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'route' in l);
    await until(() => accessLines().length >= 2, 10_000, 'the access lines of both exchanges');
    const access = accessLines();
    expect(access).toHaveLength(2);
    const [write, stream] = access;
    expect(write).toMatchObject({
      level: 'info', app: 'cassia-ac-proxy', route: '/api/gatt/nodes/{device}/handle/{handle}/value/{value}', method: 'GET',
      gateway: 'CC:1B:E0:E0:00:01', transport: 'capwap', code: 502, origin: 'upstream', reason: 'response', bytesIn: 0, bytesOut: 19,
      msg: 'GET /api/gatt/nodes/{device}/handle/{handle}/value/{value} 502 upstream/response',
    });
    expect(typeof write?.time).toBe('string');
    expect(Date.parse(write?.time as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(write?.durationMs as number).toBeGreaterThanOrEqual(write?.headersMs as number);
    expect(stream).toMatchObject({ route: '/api/gatt/nodes', code: 200, stream: 'notification', end: 'upstream_closed' });
    const all = lines.join('\n');
    expect(all).not.toContain('secret-token-1');
    expect(all).not.toContain('cafe');
  });

  it('is silent when the log level is above info, and when log.access is off', async () => {
    const up = track(await httpServer((_req, res) => res.end('OK')));
    for (const [level, access] of [['warn', true], ['info', false]] as const) {
      const { log, lines } = capturedLogger(level);
      const proxy = await startProxy(testConfig(up.url, { log: { level, access } }), { log });
      await (await request(`${proxy.proxyUrl}/api/cassia/hubs`)).body.dump();
      await proxy.close();
      expect(lines.filter((l) => l.includes('"route"'))).toEqual([]);
    }
  });
});
