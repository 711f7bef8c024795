/**
 * Slow event-stream clients behind the real proxy: an upstream producing 1,000 events/s, one
 * client reading ~0.5 MB/s, one reading 1 KB/s and one that stops reading altogether. The
 * upstream must be paused by TCP backpressure (the proxy holds a bounded amount per stream, never
 * the backlog), the slow client keeps receiving every event in order, and the 1 KB/s and stalled
 * ones — which take less than a third of their send buffer per `timeouts.streamIdle`, the
 * documented rule — are cut after it with `end="client_stalled"` (metrics and access log), the
 * 1 KB/s one having received whole events in order until then.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { getDefaultHighWaterMark } from 'node:stream';
import { startProxy, type RunningProxy } from '../../src/main.js';
import { testConfig } from '../helpers/config.js';
import { capturedLogger, tcpServer } from '../helpers/servers.js';
import { scrape, total } from '../helpers/metrics.js';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { until } from '../helpers/until.js';

const { defer, track } = cleanupAfterEach();

const STALL_MS = 4000;
/** Events per second the upstream wants to send on each stream. */
const RATE = 1000;
const PAD = 'x'.repeat(2000);
const event = (n: number): string => `id: ${n}\ndata: {"n":${n},"pad":"${PAD}"}\n\n`;

/** One upstream stream: how far its writes got. */
interface UpStream {
  /** The proxy's end of the connection (its local port), to find it in the kernel's tables. */
  proxyPort: number;
  /** Event bytes handed to the socket. */
  written: number;
  /** Of them, still in the upstream process (not yet taken by the kernel). */
  unsent(): number;
  /** Times `write` returned false (the upstream had to wait for the proxy). */
  blocked: number;
  /** Events the upstream wanted to send by now at RATE. */
  due(): number;
  closed: boolean;
}

/**
 * A Cassia-like SSE upstream: a close-delimited `text/event-stream` body (no chunk framing, so
 * bytes written are event bytes), RATE events per second per stream, waiting for 'drain'
 * whenever the socket refuses more. Streams are keyed by the `client=` query parameter.
 */
async function fastUpstream() {
  const streams = new Map<string, UpStream>();
  const server = track(await tcpServer((socket) => {
    let head = '';
    socket.on('data', (d: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const tag = /client=(\w+)/.exec(head)?.[1] ?? 'none';
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n');
      const started = performance.now();
      let next = 0;
      const s: UpStream = {
        proxyPort: socket.remotePort ?? 0,
        written: 0,
        unsent: () => socket.writableLength,
        blocked: 0,
        due: () => Math.floor(((performance.now() - started) * RATE) / 1000),
        closed: false,
      };
      streams.set(tag, s);
      let waiting = false;
      const pump = (): void => {
        while (!waiting && !socket.destroyed && next < s.due()) {
          const text = event(next++);
          s.written += text.length;
          if (!socket.write(text)) {
            s.blocked += 1;
            waiting = true;
            socket.once('drain', () => { waiting = false; });
          }
        }
      };
      // Pacing of the producer (1 ms ticks, catching up to RATE), not a wait for a result.
      const timer = setInterval(pump, 1);
      socket.on('close', () => { clearInterval(timer); s.closed = true; });
    });
  }));
  return { ...server, streams };
}

/** Bytes the kernel holds in both directions on every TCP connection with an end on `port`. */
function kernelQueued(ports: number[]): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return null;
  }
  let sum = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[3] === '0A') continue; // 0A: listening
    const local = parseInt(f[1]?.split(':')[1] ?? '', 16);
    const remote = parseInt(f[2]?.split(':')[1] ?? '', 16);
    if (!ports.includes(local) && !ports.includes(remote)) continue;
    const [tx, rx] = (f[4] ?? '0:0').split(':');
    sum += parseInt(tx ?? '0', 16) + parseInt(rx ?? '0', 16);
  }
  return sum;
}

/**
 * An SSE client on a raw socket that reads at most `bytesPerTick` from the kernel each tick
 * (`onread` into a buffer of that size, paused after every read): what it has not read stays in
 * its kernel receive buffer, and TCP holds the rest back. A tick of 0 bytes never reads.
 */
async function pacedClient(port: number, path: string, bytesPerTick: number, tickMs: number) {
  const chunks: Buffer[] = [];
  let length = 0;
  let head = '';
  let closedAt: number | null = null;
  let paused = false;
  let free = false;
  const all = (): Buffer => {
    if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
    return chunks[0] ?? Buffer.alloc(0);
  };
  const socket: Socket = connect({
    port,
    host: '127.0.0.1',
    onread: {
      buffer: Buffer.alloc(bytesPerTick > 0 ? bytesPerTick : 65_536),
      callback: (n: number, buf: Uint8Array) => {
        chunks.push(Buffer.from(buf.subarray(0, n)));
        length += n;
        if (!head) {
          const text = all();
          const i = text.indexOf('\r\n\r\n');
          if (i >= 0) {
            head = text.subarray(0, i + 4).toString('latin1');
            chunks.splice(0, 1, text.subarray(i + 4));
            length = text.length - i - 4;
          }
        }
        // Headers first at full speed; then one read per tick.
        if (!head || free) return true;
        paused = true;
        return false;
      },
    },
  });
  socket.on('error', () => undefined);
  socket.on('close', () => { closedAt = performance.now(); });
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
  // The client's reading pace, not a wait for a result.
  const timer = setInterval(() => {
    if (bytesPerTick > 0 && paused) { paused = false; socket.resume(); }
  }, tickMs);
  defer(() => { clearInterval(timer); socket.destroy(); });
  return {
    port: () => socket.localPort ?? 0,
    /** Body bytes read so far (chunk framing included). */
    bodyBytes: () => (head ? length : 0),
    /** The event stream read so far, chunk framing removed. */
    events: () => dechunk(head ? all() : Buffer.alloc(0)),
    closed: () => closedAt !== null,
    /** Reads on at full speed from now on. */
    readFreely: () => { free = true; socket.resume(); },
    head: () => head,
  };
}

/** Removes HTTP/1.1 chunk framing from a (possibly partial) chunked body. */
function dechunk(body: Buffer): { text: string; framing: number } {
  const parts: Buffer[] = [];
  let at = 0;
  let framing = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    const start = eol + 2;
    const end = Math.min(body.length, start + size);
    parts.push(body.subarray(start, end));
    framing += start - at;
    if (end < start + size || size === 0) break;
    framing += 2;
    at = end + 2;
  }
  return { text: Buffer.concat(parts).toString('latin1'), framing };
}

/** Checks the stream text is events 0, 1, 2, … in order, each whole; returns how many. */
function checkInOrder(text: string): number {
  const whole = text.slice(0, text.lastIndexOf('\n\n') + 2);
  const blocks = whole.split('\n\n').slice(0, -1);
  blocks.forEach((b, i) => expect(`${b}\n\n`).toBe(event(i)));
  return blocks.length;
}

async function proxyTo(upstream: string): Promise<RunningProxy & { port: number; lines: string[] }> {
  const { log, lines } = capturedLogger();
  const proxy = await startProxy(testConfig(upstream, { timeouts: { streamIdle: STALL_MS } }), { log });
  defer(() => proxy.close());
  return Object.assign(proxy, { port: Number(new URL(proxy.proxyUrl).port), lines });
}

describe('a slow event-stream client', () => {
  it('pauses the upstream instead of buffering, keeps a slow reader, cuts a 1 KB/s and a stalled one as client_stalled', async () => {
    const up = await fastUpstream();
    const proxy = await proxyTo(up.url);
    // At most 64 KiB every 100 ms (~0.5 MB/s, a quarter of the upstream's 2 MB/s). The proxy
    // sees a client's progress only when the kernel lets it write again: on Linux once about a
    // third of the connection's send buffer drained, and on loopback that buffer grows to
    // 4 MiB. This pace drains that well within STALL_MS; a slower reader needs a longer limit.
    const slow = await pacedClient(proxy.port, '/api/gap/nodes?event=1&client=slow', 65_536, 100);
    const stalled = await pacedClient(proxy.port, '/api/gap/nodes?event=1&client=stalled', 0, 1000);
    // 1 KB/s: the kernel never sees a third of its send buffer drained within STALL_MS.
    const trickle = await pacedClient(proxy.port, '/api/gap/nodes?event=1&client=trickle', 1024, 1000);
    await until(() => up.streams.size === 3, 3000, 'the three streams to reach the upstream');
    const s = up.streams.get('slow');
    if (!s) throw new Error('no slow stream');

    // The stalled client: kernel buffers fill, the proxy pauses its upstream, and after
    // STALL_MS without a byte taken the stream is cancelled upstream and counted ...
    await until(() => up.streams.get('stalled')?.closed === true, 12_000, 'the stalled stream to be cancelled upstream');
    await until(() => up.streams.get('trickle')?.closed === true, 12_000, 'the 1 KB/s stream to be cancelled upstream');
    await until(async () => total(await scrape(proxy.adminUrl), 'cassia_proxy_streams_total', { end: 'client_stalled' }) === 2, 3000, 'client_stalled in /metrics', 100);
    // ... and its connection reset: a client reading again finds it gone, not the backlog.
    stalled.readFreely();
    await until(() => stalled.closed(), 3000, 'the stalled client to find its connection reset');
    const logged = proxy.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.end !== undefined);
    const cut = { route: '/api/gap/nodes', code: 200, stream: 'scan', end: 'client_stalled' };
    expect(logged).toMatchObject([cut, cut]);
    // Not before they had been paused for STALL_MS (each stream ran at least that long).
    for (const line of logged) expect(line.durationMs).toBeGreaterThanOrEqual(STALL_MS);
    // What the 1 KB/s client did read: whole events, in order, from the first.
    trickle.readFreely();
    await until(() => trickle.closed(), 3000, 'the 1 KB/s client to find its connection reset');
    expect(trickle.bodyBytes()).toBeGreaterThan(0);
    checkInOrder(trickle.events().text);

    // The slow reader: its upstream is paused too (the upstream's socket refused more) ...
    await until(() => s.blocked > 0 && s.unsent() > 0, 5000, 'the slow stream upstream to be paused');
    // ... and what the upstream managed to write is what the client read, plus what the kernel
    // holds on both connections, plus at most the proxy's per-stream bound (docs/reference.md:
    // two stream buffers and two socket reads). Measured twice, a second apart.
    const hwm = getDefaultHighWaterMark(false);
    const bound = 2 * (hwm + 65_536);
    const held = (): number | null => {
      const kernel = kernelQueued([slow.port(), s.proxyPort]);
      if (kernel === null) return null;
      const { text } = slow.events();
      return s.written - s.unsent() - text.length - kernel;
    };
    const first = { held: held(), written: s.written, read: slow.events().text.length, at: performance.now() };
    await until(() => performance.now() - first.at > 1000, 2000, 'a second of slow reading');
    const second = { held: held(), written: s.written, read: slow.events().text.length, at: performance.now() };
    // Without /proc/net/tcp (not Linux) the kernel's share cannot be read: only the rest holds.
    if (first.held !== null && second.held !== null) {
      expect(first.held).toBeLessThanOrEqual(bound);
      expect(second.held).toBeLessThanOrEqual(bound);
      // And the accounting adds up (bytes in flight may be counted on both ends, never more).
      expect(second.held).toBeGreaterThan(-bound);
    }
    // Paused: the upstream is behind what 1,000 events/s would have sent by now. (How far
    // behind depends on how much the kernel buffers took, hence the bound above.)
    expect(s.written).toBeLessThan(s.due() * event(0).length);
    expect(s.unsent()).toBeGreaterThan(0);

    // Still open, reading every event in order, whole; not counted as stalled.
    expect(slow.closed()).toBe(false);
    expect(s.closed).toBe(false);
    expect(checkInOrder(slow.events().text)).toBeGreaterThan(100);
    const samples = await scrape(proxy.adminUrl);
    expect(total(samples, 'cassia_proxy_streams_total', { end: 'client_stalled' })).toBe(2);
    // Paused for STALL_MS and more, neither stream was taken for a silent upstream.
    expect(total(samples, 'cassia_proxy_streams_total', { end: 'idle_timeout' })).toBe(0);
  }, 25_000);
});
