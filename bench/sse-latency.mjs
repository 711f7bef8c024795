// SSE latency benchmark: an SSE upstream and both measuring clients live in this process
// (CPU 1, one clock: performance.now()), the proxy runs as a child on CPU 0. Every event is
// written at the same moment to a direct stream and to the stream the proxy forwards; per
// event, added delay = receipt through the proxy - receipt direct. Phases: warm-up, idle rate,
// high rate. Also counts events that arrived in one socket read with an earlier event although
// they were sent at least --apart-ms apart (batching), and the proxy's CPU per event.
// --request-sequence runs the proxy with sequence.request on: it asks the upstream for sequence=2
// and cuts each event's seqNum before the client gets it (the rewriter's cost in added delay).
// Usage: node bench/sse-latency.mjs [--idle-rate 50] [--idle-seconds 10] [--rate 20000] [--seconds 10] [--warmup 5] [--apart-ms 1] [--quick] [--request-sequence]
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { PRODUCT_NODE_FLAGS, cpuSeconds, cpuTimes, otherLoad, firstJsonLine, installCleanup, pinSelf, rssBytes, sleep, spawnPinned, stopAll, stopChild } from './lib/procs.mjs';
import { notificationFrame } from './lib/fixtures.mjs';
import { openSseStream } from './lib/sse-client.mjs';

const PATH = '/api/gatt/nodes?event=1&mac=CC:1B:E0:E0:11:22';
const TARGETS = { idle: 1, load: 2 };

function options(argv) {
  const o = { idleRate: 50, idleSeconds: 10, rate: 20000, seconds: 10, warmup: 5, apartMs: 1 };
  const keys = { '--idle-rate': 'idleRate', '--idle-seconds': 'idleSeconds', '--rate': 'rate', '--seconds': 'seconds', '--warmup': 'warmup', '--apart-ms': 'apartMs' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') Object.assign(o, { idleSeconds: 3, seconds: 3, warmup: 2 });
    else if (arg === '--request-sequence') o.requestSequence = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(`node bench/sse-latency.mjs ${Object.keys(keys).map((k) => `[${k} n]`).join(' ')} [--quick] [--request-sequence]`);
      process.exit(0);
    } else if (keys[arg]) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg} needs a positive number`);
      o[keys[arg]] = v;
    } else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

function stats(values) {
  const s = Float64Array.from(values).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : Number.NaN);
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1] : Number.NaN };
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const fmtStats = (st) => `${fmt(st.p50)} / ${fmt(st.p99)} / ${fmt(st.max)}`;

async function main() {
  const o = options(process.argv.slice(2));
  installCleanup();
  pinSelf(1);
  const total = Math.ceil(o.warmup * o.rate + o.idleSeconds * o.idleRate + o.seconds * o.rate) + 16;
  const sentAt = new Float64Array(total).fill(Number.NaN);
  const paths = {
    direct: { recvAt: new Float64Array(total).fill(Number.NaN), batched: new Uint8Array(total), lastRead: -1, lastSent: 0 },
    proxy: { recvAt: new Float64Array(total).fill(Number.NaN), batched: new Uint8Array(total), lastRead: -1, lastSent: 0 },
  };
  /** Events that arrived per path, and how many of the proxy's still carried seqNum. */
  const arrived = { direct: 0, proxy: 0 };
  let proxySeqNums = 0;

  // The upstream: every stream it serves gets every event.
  const streams = new Set();
  const upstream = createServer({ noDelay: true }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

  const proxyChild = spawnPinned(0, process.execPath, [...PRODUCT_NODE_FLAGS, fileURLToPath(new URL('./lib/proxy-process.mjs', import.meta.url)), upstreamUrl], {
    logPipe: true, env: { ...process.env, BENCH_REQUEST_SEQUENCE: o.requestSequence ? '1' : '0' },
  });
  const proxy = await firstJsonLine(proxyChild);
  const budget = setTimeout(() => {
    console.error('SSE benchmark overran its time budget: stopping');
    stopAll().finally(() => process.exit(1));
  }, (o.warmup + o.idleSeconds + o.seconds + 60) * 1000);
  budget.unref();

  const onEvent = (path, name) => (text, readId, receivedAt) => {
    const at = text.indexOf('"seqNum":');
    const sentIdx = text.indexOf('"sent":"');
    if (sentIdx === -1) return;
    // Without seqNum (cut by the proxy with --request-sequence) the arrival order numbers the
    // event: both streams get every event in the order written, and TCP loses none.
    const seq = at === -1 ? arrived[name] : parseInt(text.slice(at + 9), 10);
    arrived[name]++;
    if (name === 'proxy' && at !== -1) proxySeqNums++;
    const sent = parseFloat(text.slice(sentIdx + 8));
    path.recvAt[seq] = receivedAt;
    if (readId === path.lastRead && sent - path.lastSent >= o.apartMs) path.batched[seq] = 1;
    path.lastRead = readId;
    path.lastSent = sent;
  };
  const direct = await openSseStream(upstreamUrl + PATH, onEvent(paths.direct, 'direct'));
  const viaProxy = await openSseStream(proxy.proxyUrl + PATH, onEvent(paths.proxy, 'proxy'));
  if (direct.status !== 200 || viaProxy.status !== 200) throw new Error(`stream status direct ${direct.status}, proxy ${viaProxy.status}`);
  while (streams.size < 2) await sleep(10);
  const [first, second] = [...streams];

  let seq = 0;
  /** Sends at `rate` for `seconds`, pacing by the clock; returns the [from, to) seq range. */
  const runPhase = (rate, seconds) => new Promise((resolve) => {
    const from = seq;
    const count = Math.round(rate * seconds);
    const start = performance.now();
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (seq - from < due) {
        const t = performance.now();
        const frame = notificationFrame(seq, t);
        sentAt[seq] = t;
        // Alternate which stream is written first so neither path gets a systematic head start.
        if (seq & 1) { second.write(frame); first.write(frame); } else { first.write(frame); second.write(frame); }
        seq++;
      }
      if (seq - from >= count) resolve([from, seq]);
      else setTimeout(tick, Math.max(0, start + ((seq - from) * 1000) / rate - performance.now()));
    };
    tick();
  });
  const drain = async ([from, to]) => {
    const deadline = performance.now() + 3000;
    const complete = (p) => { for (let i = from; i < to; i++) if (Number.isNaN(p.recvAt[i])) return false; return true; };
    while (performance.now() < deadline && !(complete(paths.direct) && complete(paths.proxy))) await sleep(20);
  };
  const summarise = (name, rate, range, cpu) => {
    const [from, to] = range;
    const delays = { direct: [], proxy: [] };
    const added = [];
    const batched = { direct: 0, proxy: 0 };
    const lost = { direct: 0, proxy: 0 };
    for (let i = from; i < to; i++) {
      for (const key of ['direct', 'proxy']) {
        const p = paths[key];
        if (Number.isNaN(p.recvAt[i])) lost[key]++;
        else delays[key].push(p.recvAt[i] - sentAt[i]);
        batched[key] += p.batched[i];
      }
      if (!Number.isNaN(paths.direct.recvAt[i]) && !Number.isNaN(paths.proxy.recvAt[i])) added.push(paths.proxy.recvAt[i] - paths.direct.recvAt[i]);
    }
    // Per-second windows of the added delay: the machine is noisy in phases (other processes
    // preempting CPU 0), so the median and quietest windows show what the proxy itself adds.
    const windows = [];
    const perWindow = Math.max(1, Math.round(rate));
    for (let w = from; w < to; w += perWindow) {
      const xs = [];
      for (let i = w; i < Math.min(to, w + perWindow); i++) {
        if (!Number.isNaN(paths.direct.recvAt[i]) && !Number.isNaN(paths.proxy.recvAt[i])) xs.push(paths.proxy.recvAt[i] - paths.direct.recvAt[i]);
      }
      if (xs.length) windows.push(stats(xs).p99);
    }
    const windowP99 = stats(windows);
    return { name, rate, events: to - from, windowP99: { median: windowP99.p50, best: windows.length ? Math.min(...windows) : Number.NaN, worst: windowP99.max }, direct: stats(delays.direct), proxy: stats(delays.proxy), added: stats(added), batched, lost, cpuUsPerEvent: (cpu * 1e6) / (to - from) };
  };

  console.log(`# cassia-ac-proxy SSE latency — ${new Date().toISOString()}, node ${process.version}`);
  console.log(`# upstream + clients in one process on CPU 1, proxy on CPU 0; GET ${PATH}; ${Buffer.byteLength(notificationFrame(123456, performance.now()))}-byte frames`
    + `; sequence.request ${o.requestSequence ? 'on (seqNum cut for the client)' : 'off'}`);
  const results = [];
  console.log(`# warm-up: ${o.rate} events/s for ${o.warmup}s`);
  await drain(await runPhase(o.rate, o.warmup));
  for (const [name, rate, seconds] of [['idle', o.idleRate, o.idleSeconds], ['load', o.rate, o.seconds]]) {
    const cpuBefore = cpuSeconds(proxyChild.pid);
    const cpu0Before = cpuTimes(0);
    const range = await runPhase(rate, seconds);
    await drain(range);
    const cpu = cpuSeconds(proxyChild.pid) - cpuBefore;
    results.push({ ...summarise(name, rate, range, cpu), otherLoad: otherLoad(cpu0Before, cpuTimes(0), cpu) });
  }
  const rss = rssBytes(proxyChild.pid);

  console.log('');
  console.log('| phase | events/s | events | direct delay p50 / p99 / max ms | via proxy p50 / p99 / max ms | added (proxy − direct) p50 / p99 / max ms | batched direct / proxy | lost direct / proxy | added p99 per 1-s window median / best / worst ms | proxy CPU µs/event | CPU 0 used by others |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.rate} | ${r.events} | ${fmtStats(r.direct)} | ${fmtStats(r.proxy)} | ${fmtStats(r.added)} | ${r.batched.direct} / ${r.batched.proxy} | ${r.lost.direct} / ${r.lost.proxy} | ${fmt(r.windowP99.median)} / ${fmt(r.windowP99.best)} / ${fmt(r.windowP99.worst)} | ${r.cpuUsPerEvent.toFixed(1)} | ${(r.otherLoad * 100).toFixed(0)}% |`);
  }
  console.log('');
  for (const r of results) {
    const target = TARGETS[r.name];
    console.log(`${r.name}: added p99 ${fmt(r.added.p99)} ms over the phase — ${r.added.p99 <= target ? 'within' : 'OVER'} the ${target} ms target` +
      ` (median 1-s window ${fmt(r.windowP99.median)} ms: ${r.windowP99.median <= target ? 'within' : 'OVER'})`);
  }
  if (results.some((r) => r.otherLoad > 0.1)) console.log('NOTE: other processes used CPU 0 (the proxy\'s core) during the run: tail figures include their preemption; rerun on a quiet machine.');
  console.log(`proxy RSS after the run: ${(rss / 2 ** 20).toFixed(1)} MiB. "batched" = arrived in one socket read with the previous event although sent ≥ ${o.apartMs} ms after it.`);
  if (o.requestSequence) console.log(`sequence.request: ${proxySeqNums} of ${arrived.proxy} events through the proxy still carried seqNum (0 expected).`);

  clearTimeout(budget);
  direct.close();
  viaProxy.close();
  await stopChild(proxyChild);
  upstream.closeAllConnections();
  upstream.close();
  await stopAll();
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
