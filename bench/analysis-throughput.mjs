// Stream-analysis benchmark: events/s through one analyzer tap (parser + JSON + extractors +
// trackers + batched metrics) on recorded-style scan and notification traffic, then the RSS of
// a process holding 200,000 sequence trackers.
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/analysis-throughput.mjs [seconds]
// Targets: >= 300,000 events/s on one core; <= 150 MiB RSS with 200k trackers.
// `... 5 rewrite`: notification events through the tap alone and through the sequence.request
// rewriter then the tap (as the proxy runs them), alternated in the same run; target <= 1 µs/event more.
import { createCountsFactory } from '../dist/src/gateways/counts.js';
import { createGatewayDirectory } from '../dist/src/gateways/directory.js';
import { createGatewayState } from '../dist/src/gateways/state.js';
import { createMetrics, Registry } from '../dist/src/metrics/metrics.js';
import { createReport } from '../dist/src/report/report.js';
import { createStreamAnalyzer } from '../dist/src/streams/analyzer.js';
import { createExtractors } from '../dist/src/streams/extractors.js';
import { createSeqNumRewriter } from '../dist/src/streams/seqnum-rewriter.js';

const SECONDS = Number(process.argv[2] ?? 5);
const GW = 'CC:1B:E0:E0:00:01';

function config(maxTrackedDevices) {
  return {
    upstream: null, upstreamCa: null, upstreamInsecure: false,
    listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 },
    timeouts: { connect: 5000, headers: 30000, streamIdle: 75000, shutdown: 1000 },
    transport: { default: 'unknown', gateways: { [GW]: { transport: 'capwap' } }, expected: null },
    discovery: { enabled: false, interval: 60000, key: null, secret: null },
    sequence: { builtin: ['seqNum', 'ruuvi', 'eddystone-tlm'], extractors: [], reorderWindow: 64, reorderWindowTime: 5000, request: false },
    limits: { maxGateways: 1000, maxTrackedDevices, maxEventBytes: 1 << 20 },
    log: { level: 'silent', access: false }, configFile: null, gatewaysFile: null,
  };
}

/** The analyser wired as the proxy wires it (src/main.ts): metrics, gateway state, report, one generation. */
function analyzerFor(cfg) {
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const state = createGatewayState({ metrics, onOverflow: () => {} });
  const report = createReport({ gatewaySnapshot: () => state.snapshot() });
  const directory = createGatewayDirectory(cfg, state, createCountsFactory(metrics, report.segments));
  state.activate(directory, cfg);
  const generation = { directory, extractors: createExtractors(cfg.sequence), maxEventBytes: cfg.limits.maxEventBytes, retired: false };
  const analyzer = createStreamAnalyzer({
    metrics, state, generation: () => generation,
    reorderWindow: cfg.sequence.reorderWindow, reorderWindowTime: cfg.sequence.reorderWindowTime,
    maxTrackedDevices: cfg.limits.maxTrackedDevices,
  });
  return { tap: (kind, mac, sequenceRequested = false) => analyzer.tap(kind, directory.resolve(mac), sequenceRequested), trackers: () => analyzer.trackers(), close: () => { analyzer.close(); state.close(); } };
}

const mac = (i) => `E4:7F:${[(i >> 16) & 255, (i >> 8) & 255, i & 255, 0x42].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
const stamp = () => new Date().toISOString().replace('T', ' ').replace('Z', ' UTC');

/** ~260-byte scan events: 40% RuuviTag, 20% Eddystone-TLM, 40% plain advertisers. */
function scanStream(count, devices) {
  const seq = new Array(devices).fill(0).map((_, i) => i * 977);
  const parts = [];
  for (let k = 0; k < count; k++) {
    const d = k % devices;
    const n = seq[d]++;
    let adData;
    if (d % 5 < 2) adData = `0201061BFF990405${'12FC5394C37C0004FFFC040CAC3642'}${(n & 0xffff).toString(16).padStart(4, '0').toUpperCase()}CBB8334C884F`;
    else if (d % 5 === 2) adData = `0201060303AAFE1116AAFE20000BB81780${(n >>> 0).toString(16).padStart(8, '0').toUpperCase()}00010203`;
    else adData = '0201061AFF4C000215FDA50693A4E24FB1AFCFC6EB0764782500010002C5';
    const ev = { bdaddrs: [{ bdaddr: mac(d), bdaddrType: 'random' }], adData, scanData: '0A09527575766920414243', name: 'Ruuvi ABCD', rssi: -40 - (k % 50), evtType: 0, timestamp: stamp() };
    parts.push(`data: ${JSON.stringify(ev)}\n\n`);
  }
  return Buffer.from(parts.join(''));
}

/** ~110-byte notification events with seqNum. */
function notificationStream(count, devices) {
  const parts = [];
  for (let k = 0; k < count; k++) {
    const d = k % devices;
    parts.push(`data: ${JSON.stringify({ value: '0856000012345678', handle: 52, id: mac(d), dataType: 'notification', seqNum: Math.floor(k / devices) })}\n\n`);
  }
  return Buffer.from(parts.join(''));
}

/** Splits into chunks of 1–16 KiB (what a socket delivers under load), cut anywhere. */
function chunks(buf) {
  const out = [];
  let seed = 7;
  for (let i = 0; i < buf.length;) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const size = 1024 + (seed % 15360);
    out.push(buf.subarray(i, i + size));
    i += size;
  }
  return out;
}

function throughput() {
  const analyzer = analyzerFor(config(200_000));
  const scanEvents = 20_000;
  const noteEvents = 20_000;
  const scan = chunks(scanStream(scanEvents, 500));
  const note = chunks(notificationStream(noteEvents, 200));
  const bytesPerEvent = (scan.reduce((n, c) => n + c.length, 0) / scanEvents).toFixed(0);
  let events = 0;
  const end = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rounds = 0;
  while (performance.now() < end && rounds < 10_000) {
    // A fresh connection per round: counters restart, as after a reconnect.
    const s = analyzer.tap('scan', GW);
    for (const c of scan) s.write(c);
    s.close();
    const n = analyzer.tap('notification', GW);
    for (const c of note) n.write(c);
    n.close();
    events += scanEvents + noteEvents;
    rounds++;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  analyzer.close();
  console.log(`throughput: ${Math.round(events / secs).toLocaleString('en')} events/s wall, `
    + `${Math.round(events / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en')} events/s CPU `
    + `(${events.toLocaleString('en')} events, ${secs.toFixed(1)} s; scan ~${bytesPerEvent} B/event, 50/50 scan/notification)`);
}

function memory() {
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const analyzer = analyzerFor(config(200_000));
  const tap = analyzer.tap('notification', GW);
  const devices = 200_000;
  const batch = [];
  for (let d = 0; d < devices; d++) {
    batch.push(`data: {"value":"01","handle":52,"id":"${mac(d)}","dataType":"notification","seqNum":${d * 3}}\n\n`);
    if (batch.length === 1000) {
      tap.write(Buffer.from(batch.join('')));
      batch.length = 0;
    }
  }
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  console.log(`memory: ${analyzer.trackers().toLocaleString('en')} trackers, process RSS ${(rss / 2 ** 20).toFixed(1)} MiB `
    + `(before building them: ${(before / 2 ** 20).toFixed(1)} MiB; heapUsed ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB)`);
  tap.close();
  analyzer.close();
}

/**
 * The cost sequence.request adds per event: the same notification chunks through the tap alone
 * (today's path) and through the rewriter, then the tap (the proxy's path for a requested stream),
 * in alternating rounds of one process, CPU time per event compared round by round.
 */
function rewrite() {
  const analyzer = analyzerFor(config(200_000));
  const noteEvents = 20_000;
  const note = chunks(notificationStream(noteEvents, 200));
  const bytesPerEvent = (note.reduce((n, c) => n + c.length, 0) / noteEvents).toFixed(0);
  const cpuNs = (run) => {
    const c0 = process.cpuUsage();
    run();
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / noteEvents;
  };
  const tapOnly = () => {
    const tap = analyzer.tap('notification', GW, false);
    for (const c of note) tap.write(c);
    tap.close();
  };
  let sent = 0;
  let toClient = 0;
  const withRewrite = () => {
    const tap = analyzer.tap('notification', GW, true);
    const rw = createSeqNumRewriter({ kind: 'notification', maxEventBytes: 1 << 20, onFallback: () => { throw new Error('fell back'); } });
    for (const c of note) {
      toClient += rw.write(c).length;
      tap.write(c);
    }
    toClient += rw.end().length;
    tap.close();
  };
  let sentRounds = 0;
  const rewriterOnly = () => {
    const rw = createSeqNumRewriter({ kind: 'notification', maxEventBytes: 1 << 20, onFallback: () => { throw new Error('fell back'); } });
    for (const c of note) sent += rw.write(c).length;
    sentRounds++;
  };
  // Warm-up: both paths optimised before anything is timed.
  const warmEnd = performance.now() + 2000;
  while (performance.now() < warmEnd) { tapOnly(); withRewrite(); rewriterOnly(); }
  const rows = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end || rows.length < 5) {
    const a = cpuNs(tapOnly);
    const b = cpuNs(withRewrite);
    const r = cpuNs(rewriterOnly);
    rows.push({ a, b, r, added: b - a });
  }
  const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  analyzer.close();
  if (toClient === 0) throw new Error('the rewriter passed nothing');
  console.log(`rewrite: ${rows.length} alternating rounds of ${noteEvents.toLocaleString('en')} notification events (~${bytesPerEvent} B/event, 1–16 KiB chunks), CPU ns/event, median:`
    + `\n  tap alone ${median(rows.map((x) => x.a)).toFixed(0)}, rewriter + tap ${median(rows.map((x) => x.b)).toFixed(0)},`
    + ` added ${median(rows.map((x) => x.added)).toFixed(0)} (target <= 1000); rewriter alone ${median(rows.map((x) => x.r)).toFixed(0)}`
    + `\n  the client got ${(sent / sentRounds / noteEvents).toFixed(1)} B/event of the upstream's ${bytesPerEvent}`);
}

const part = process.argv[3] ?? 'all';
if (part === 'all' || part === 'throughput') throughput();
if (part === 'all' || part === 'memory') memory();
if (part === 'all' || part === 'rewrite') rewrite();
