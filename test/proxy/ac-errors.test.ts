/**
 * What the AC said, against purpose-built upstreams: the word of an error answer does not depend
 * on how its body is cut into TCP segments; a text no row knows is `other`; a huge or endless
 * error body reaches the client intact and is `other` without being kept; success answers and
 * event streams are never read. Every answer also reaches the client byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, httpServer, tcpServer } from '../helpers/servers.js';
import { scrape, total } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();
const GATEWAY = 'CC:1B:E0:E0:00:01';
const TOKEN_BODY = '{"error":"forbidden","error_description":"Token not found or expired"}';

async function proxyTo(upstream: string): Promise<RunningProxy & { logLines: string[] }> {
  const { log, lines } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream, { transport: { gateways: { [GATEWAY]: { transport: 'capwap' } } } }), { log });
  defer(() => proxy.close());
  return Object.assign(proxy, { logLines: lines });
}

/** `ac_errors_total` of the test gateway by word (words with a count only). */
async function words(proxy: RunningProxy): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await scrape(proxy.adminUrl)) {
    if (s.name === 'cassia_proxy_ac_errors_total' && s.labels.gateway === GATEWAY && s.value > 0) out[s.labels.error ?? ''] = s.value;
  }
  return out;
}

/** Access-log lines' acError fields, in order (null for lines without one). */
const acErrorsLogged = (lines: string[]): Array<string | null> =>
  lines.map((l) => JSON.parse(l) as { route?: string; acError?: string }).filter((l) => l.route !== undefined).map((l) => l.acError ?? null);

/**
 * An upstream that answers `status` with `body`, one byte per TCP write, each written only once
 * the client has received everything before it: nothing can be coalesced on the way.
 */
async function lockstepUpstream(status: number, body: Buffer): Promise<{ url: string; sendNext(): boolean }> {
  let socket: Socket | null = null;
  let sent = 0;
  const up = track(await tcpServer((s) => {
    s.setNoDelay(true);
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (socket !== null || !head.includes('\r\n\r\n')) return;
      socket = s;
      // The head goes with the first byte: the proxy sends a plain answer's head with its first body bytes.
      s.write(`HTTP/1.1 ${status} Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`);
      s.write(body.subarray(0, 1));
      sent = 1;
    });
  }));
  return {
    url: up.url,
    sendNext() {
      if (socket === null || sent >= body.length) return false;
      socket.write(body.subarray(sent, sent + 1));
      sent++;
      return true;
    },
  };
}

/** GETs `path` through the proxy on a raw socket, driving a lockstep upstream; returns the body and the number of reads it came in. */
async function lockstepGet(proxy: RunningProxy, path: string, up: { sendNext(): boolean }, length: number): Promise<{ body: Buffer; reads: number }> {
  const port = Number(new URL(proxy.proxyUrl).port);
  const socket = connect(port, '127.0.0.1');
  defer(() => void socket.destroy());
  await once(socket, 'connect');
  let raw = Buffer.alloc(0);
  let reads = 0;
  socket.on('data', (d: Buffer) => {
    raw = Buffer.concat([raw, d]);
    const end = raw.indexOf('\r\n\r\n');
    if (end < 0) return;
    reads++;
    up.sendNext();
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n`);
  const bodyOf = (): Buffer => raw.subarray(raw.indexOf('\r\n\r\n') + 4);
  await until(() => raw.includes('\r\n\r\n') && bodyOf().length >= length, 10_000, 'the whole body');
  return { body: bodyOf(), reads };
}

describe('what the AC said: reading error answers', () => {
  it.each([
    [500, 'chip is busy', 'chip_busy'],
    [403, TOKEN_BODY, 'token_expired'],
    [500, 'the flux capacitor overheated', 'other'],
  ])('%i %j is %s whether it arrives whole or one byte per TCP segment', async (status, text, word) => {
    const body = Buffer.from(text);
    // Whole: one write.
    const whole = track(await httpServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    }));
    const p1 = await proxyTo(whole.url);
    const res = await request(`${p1.proxyUrl}/api/gap/nodes?mac=${GATEWAY}`);
    expect([res.statusCode, await res.body.text()]).toEqual([status, text]);
    await until(async () => Object.keys(await words(p1)).length > 0, 5000, 'the word counted');
    expect(await words(p1)).toEqual({ [word]: 1 });

    // Split: each byte in its own segment, sent after the client got the one before.
    const split = await lockstepUpstream(status, body);
    const p2 = await proxyTo(split.url);
    const got = await lockstepGet(p2, `/api/gap/nodes?mac=${GATEWAY}`, split, body.length);
    expect(got.body.toString()).toBe(text);
    expect(got.reads, 'the body crossed the proxy in pieces').toBeGreaterThanOrEqual(body.length);
    await until(async () => Object.keys(await words(p2)).length > 0, 5000, 'the word counted');
    expect(await words(p2)).toEqual({ [word]: 1 });
    expect(acErrorsLogged(p2.logLines)).toEqual([word]);
  });

  it('forwards a huge error body intact and calls it other', async () => {
    const body = randomBytes(24 * 1024 * 1024 + 5);
    // The text would be a word if the proxy read past its bound.
    body.write('chip is busy', body.length - 20, 'latin1');
    const up = track(await httpServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(body);
    }));
    const proxy = await proxyTo(up.url);
    const res = await request(`${proxy.proxyUrl}/api/gatt/nodes/C0:00:00:00:00:01/handle/36/value?mac=${GATEWAY}`);
    const hash = createHash('sha256');
    for await (const chunk of res.body) hash.update(chunk as Buffer);
    expect(res.statusCode).toBe(500);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    await until(async () => Object.keys(await words(proxy)).length > 0, 5000, 'the word counted');
    expect(await words(proxy)).toEqual({ other: 1 });
  });

  it('calls an endless error body other once the client hangs up, having forwarded every byte it took', async () => {
    let upstreamClosed = false;
    let written = 0;
    const up = track(await httpServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.on('close', () => { upstreamClosed = true; });
      // A whole number of the 13-byte pattern, so the stream repeats it without a seam.
      const chunk = Buffer.alloc(13 * 5000, 'no resources ');
      const pump = (): void => {
        while (!res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    }));
    const proxy = await proxyTo(up.url);
    const controller = new AbortController();
    const res = await request(`${proxy.proxyUrl}/api/gap/nodes?mac=${GATEWAY}`, { signal: controller.signal });
    let received = 0;
    let intact = true;
    try {
      for await (const chunk of res.body) {
        const text = (chunk as Buffer).toString('latin1');
        // Every byte is the upstream's pattern, continuing where the last chunk stopped.
        const phase = received % 13;
        intact &&= ('no resources '.repeat(Math.ceil((text.length + phase) / 13) + 1)).slice(phase, phase + text.length) === text;
        received += text.length;
        if (received >= 16 * 1024 * 1024) controller.abort();
      }
    } catch {
      // the abort
    }
    expect(intact).toBe(true);
    expect(received).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    await until(() => upstreamClosed, 10_000, 'the upstream request cancelled');
    await until(async () => Object.keys(await words(proxy)).length > 0, 5000, 'the word counted');
    // The bytes said "no resources" over and over: a body past the bound is never read for words.
    expect(await words(proxy)).toEqual({ other: 1 });
    expect(written).toBeGreaterThan(received);
  });

  it('never reads success answers or event streams, whatever they say', async () => {
    const up = track(await httpServer((req, res) => {
      if (req.url?.startsWith('/api/gatt/nodes?')) {
        res.writeHead(500, { 'content-type': 'text/event-stream' });
        res.end('data: chip is busy\n\n');
      } else if (req.url?.startsWith('/api/cassia/info')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('chip is busy');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not Found');
      }
    }));
    const proxy = await proxyTo(up.url);
    for (const path of ['/api/gatt/nodes?event=1', '/api/cassia/info?x=1', '/api/nowhere?x=1']) {
      const res = await request(`${proxy.proxyUrl}${path}&mac=${GATEWAY}`);
      await res.body.dump();
    }
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_requests_total') === 3, 5000, 'three exchanges recorded');
    expect(await words(proxy)).toEqual({ other: 1 });
    expect(acErrorsLogged(proxy.logLines)).toEqual([null, null, 'other']);
  });
});
