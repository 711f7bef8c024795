#!/usr/bin/env node
// Soak: the simulator (20 gateways, CAPWAP faults on) behind the proxy, a fixed-rate request load
// and N event streams for a given time. Every 30 s it prints the proxy's RSS and heap; at the end
// the RSS slope after warm-up, the client-visible errors, and the proxy's counts compared with
// what the clients received and with the simulator's ground truth (`/__sim/truth`).
//
//   npm run build && node bench/soak.mjs [--minutes 10] [--rate 300] [--streams 60] [--warmup-minutes 5]
//
// Pinning: the proxy on CPU 0; the simulator and this process (load + stream clients) on CPU 1.
// Bounded: runs for --minutes, then drains (faults off, streams closed) within about a minute and
// stops every child it started, by PID. Exit status 0 when every count equals the truth, no
// client saw a reset or a socket error, and the RSS slope is at most --max-slope MiB/min.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createSseTextReader } from '../dist/src/streams/sse-parser.js';
import { PRODUCT_NODE_FLAGS, cpuSeconds, firstJsonLine, installCleanup, pinSelf, rssBytes, spawnPinned, stopAll } from './lib/procs.mjs';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '10' },
    rate: { type: 'string', default: '300' },
    streams: { type: 'string', default: '60' },
    'warmup-minutes': { type: 'string' },
    'sample-seconds': { type: 'string', default: '30' },
    'max-slope': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('node bench/soak.mjs [--minutes 10] [--rate 300] [--streams 60] [--warmup-minutes min(5, minutes/2)] [--sample-seconds 30] [--max-slope 0.1] [--seed 1]');
  process.exit(0);
}
const number = (name, min) => {
  const v = Number(opts[name]);
  if (!Number.isFinite(v) || v < min) {
    console.error(`--${name} must be a number ≥ ${min} (got ${opts[name]})`);
    process.exit(2);
  }
  return v;
};
const minutes = number('minutes', 0.1);
const rate = number('rate', 1);
const streamCount = number('streams', 0);
const warmupMinutes = opts['warmup-minutes'] === undefined ? Math.min(5, minutes / 2) : number('warmup-minutes', 0);
const sampleMs = number('sample-seconds', 1) * 1000;
const maxSlope = number('max-slope', 0);

installCleanup();
pinSelf(1);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;
let stopping = false;

// CAPWAP gateways lose, duplicate and reorder events and answer 502/504; MQTT ones are clean
// (the simulator's MQTT defaults). Offline periods are off so every stream lives for the whole run
// and the truth is exact for every event written.
const simOptions = {
  gateways: 20, capwap: 10, devicesPerGateway: 10, connectedPerGateway: 3, seed: Number(opts.seed),
  scanIntervalMs: 1000, notifyIntervalMs: 500, keepaliveMs: 30_000,
  profile: {
    profile: 'default',
    transports: {
      capwap: { drop: 0.02, duplicate: 0.01, reorder: 0.01, http502: 0.02, http504: 0.01, http504DelayMs: 500, offlineMeanIntervalS: 0 },
      mqtt: { offlineMeanIntervalS: 0 },
    },
  },
};

const simChild = spawnPinned(1, process.execPath, [here('./lib/simulator-process.mjs'), JSON.stringify(simOptions)]);
const sim = await firstJsonLine(simChild);
// Diagnosis only: SOAK_PROXY_NODE_ARGS passes node flags to the proxy child (e.g.
// `--heapsnapshot-signal=SIGUSR2`, then `kill -USR2 <proxy pid>` for a heap snapshot of live objects).
const proxyNodeArgs = (process.env.SOAK_PROXY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const proxyChild = spawnPinned(0, process.execPath, [...PRODUCT_NODE_FLAGS, ...proxyNodeArgs, here('./lib/proxy-process.mjs'), sim.url], { logPipe: true });
const proxy = await firstJsonLine(proxyChild);
for (const child of [simChild, proxyChild]) child.once('exit', (code, signal) => { if (!stopping) fail(`child ${child.pid} exited early (${code ?? signal})`); });
function fail(message) {
  console.error(`soak: ${message}`);
  stopping = true;
  stopAll().finally(() => process.exit(1));
}

console.log(`soak: ${minutes} min, ${rate} req/s, ${streamCount} event streams, 20 gateways (10 CAPWAP with faults), warm-up ${warmupMinutes} min`);
console.log(`soak: proxy pid ${proxy.pid} ${proxy.proxyUrl} (admin ${proxy.adminUrl}), simulator pid ${sim.pid} ${sim.url}`);

const agent = new Agent({ connections: 32, keepAliveTimeout: 4_000 });
const sseAgent = new Agent({ connections: streamCount + 4, bodyTimeout: 0, headersTimeout: 30_000 });

// --- client-side bookkeeping ---
const client = {
  sent: 0, answered: 0, errors: new Map(), statuses: new Map(),
  /** gateway → { total, 502, 504 } of answers to calls naming it (stream opens included). */
  gateways: new Map(sim.gateways.map((g) => [g, { total: 0, 502: 0, 504: 0 }])),
};
const countAnswer = (gateway, status) => {
  client.answered++;
  client.statuses.set(status, (client.statuses.get(status) ?? 0) + 1);
  if (!gateway) return;
  const g = client.gateways.get(gateway);
  g.total++;
  if (status === 502 || status === 504) g[status]++;
};
const countError = (err) => {
  const code = err?.code ?? err?.name ?? 'error';
  client.errors.set(code, (client.errors.get(code) ?? 0) + 1);
};

let token = '';
async function refreshToken() {
  const res = await request(`${proxy.proxyUrl}/api/oauth2/token`, {
    method: 'POST', dispatcher: agent,
    headers: { authorization: `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`token request answered ${res.statusCode}`);
  token = body.access_token;
}
await refreshToken();

// --- event streams: scan and notification (seqNum) streams spread over the gateways ---
const kinds = [['scan', '/api/gap/nodes?event=1&filter_duplicates=0'], ['notification', '/api/gatt/nodes?event=1&sequence=2']];
const streams = [];
async function openStream(gateway, kind, path) {
  const entry = { gateway, kind, events: 0, ended: null };
  for (let attempt = 0; attempt < 50; attempt++) {
    let res;
    try {
      res = await request(`${proxy.proxyUrl}${path}&mac=${gateway}&access_token=${token}`, { dispatcher: sseAgent, headers: { accept: 'text/event-stream' } });
    } catch (err) {
      countError(err);
      continue;
    }
    countAnswer(gateway, res.statusCode);
    if (res.statusCode !== 200) {
      await res.body.dump();
      continue;
    }
    const reader = createSseTextReader({ event: () => { entry.events++; } });
    entry.done = new Promise((resolve) => {
      res.body.on('data', (chunk) => reader.write(chunk));
      res.body.once('end', () => { entry.ended = 'end'; resolve(); });
      res.body.once('error', (err) => { entry.ended = err.code ?? 'error'; if (!stopping) countError(err); resolve(); });
    });
    streams.push(entry);
    return;
  }
  throw new Error(`could not open ${kind} stream of ${gateway}`);
}
for (let i = 0; i < streamCount; i++) {
  const gateway = sim.gateways[i % sim.gateways.length];
  const [kind, path] = kinds[Math.floor(i / sim.gateways.length) % kinds.length];
  await openStream(gateway, kind, path);
}

// --- fixed-rate request load (open loop: a request every 1/rate s, whatever the answers) ---
const connected = new Map(); // gateway → device MACs the AC listed as connected
async function call(path, gateway) {
  client.sent++;
  try {
    const res = await request(`${proxy.proxyUrl}${path}${path.includes('?') ? '&' : '?'}access_token=${token}`, { dispatcher: agent });
    const text = await res.body.text();
    countAnswer(gateway, res.statusCode);
    if (res.statusCode === 401) await refreshToken().catch(countError);
    return res.statusCode === 200 ? text : null;
  } catch (err) {
    countError(err);
    return null;
  }
}
let tick = 0;
function oneRequest() {
  const gateway = sim.gateways[tick % sim.gateways.length];
  const pick = tick++ % 10;
  if (pick < 6) return call(`/api/cassia/info?mac=${gateway}`, gateway);
  if (pick < 9) {
    return call(`/api/gap/nodes?connection_state=connected&mac=${gateway}`, gateway).then((text) => {
      try {
        if (text) connected.set(gateway, JSON.parse(text).nodes.map((n) => n.id));
      } catch { /* not JSON: an error page, counted by status */ }
    });
  }
  const device = connected.get(gateway)?.[0];
  if (device) return call(`/api/gatt/nodes/${device}/handle/14/value?mac=${gateway}`, gateway);
  return call('/api/cassia/hubs', null);
}
const inflight = new Set();
const started = performance.now();
const endAt = started + minutes * 60_000;
let nextAt = started;
const load = (async () => {
  while (!stopping && performance.now() < endAt) {
    nextAt += 1000 / rate;
    const p = oneRequest();
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    const wait = nextAt - performance.now();
    if (wait > 0) await sleep(wait);
    else if (-wait > 1000) nextAt = performance.now(); // overloaded: do not burst to catch up
  }
})();

// --- samples every sampleMs ---
async function scrape() {
  const res = await request(`${proxy.adminUrl}/metrics`);
  const text = await res.body.text();
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}
const sum = (samples, name, labels = {}) => samples
  .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  .reduce((n, s) => n + s.value, 0);

const memory = [];
const cpu0 = cpuSeconds(proxy.pid);
console.log('  min   RSS MiB  heap MiB   req/s   events/s  client errors');
let lastSent = 0;
let lastEvents = 0;
let lastAt = started;
const sampler = setInterval(async () => {
  try {
    const samples = await scrape();
    const now = performance.now();
    const rss = rssBytes(proxy.pid) / MiB;
    const heap = sum(samples, 'cassia_proxy_nodejs_heap_size_used_bytes') / MiB;
    const events = streams.reduce((n, s) => n + s.events, 0);
    const t = (now - started) / 60_000;
    memory.push({ t, rss, heap });
    const errors = [...client.errors.values()].reduce((a, b) => a + b, 0);
    console.log(`${t.toFixed(1).padStart(5)} ${rss.toFixed(1).padStart(9)} ${heap.toFixed(1).padStart(9)} ${((client.sent - lastSent) / ((now - lastAt) / 1000)).toFixed(0).padStart(7)} ${((events - lastEvents) / ((now - lastAt) / 1000)).toFixed(0).padStart(10)} ${String(errors).padStart(14)}`);
    lastSent = client.sent;
    lastEvents = events;
    lastAt = now;
  } catch (err) {
    console.error(`soak: sample failed: ${err.message}`);
  }
}, sampleMs);

await load;
clearInterval(sampler);
const loadSeconds = (performance.now() - started) / 1000;
const proxyCpu = cpuSeconds(proxy.pid) - cpu0;
await Promise.race([Promise.allSettled([...inflight]), sleep(15_000)]);

// --- drain: faults off, enough clean events that the last drops are observable, streams closed ---
console.log('soak: load done; faults off, draining the streams');
await (await request(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ profile: 'clean' }), headers: { 'content-type': 'application/json' } })).body.dump();
const atClean = streams.map((s) => s.events);
const drainUntil = performance.now() + 60_000;
while (performance.now() < drainUntil && !streams.every((s, i) => s.events >= atClean[i] + 5)) await sleep(200);
stopping = true;
await (await request(`${sim.url}/__sim/close-streams`, { method: 'POST' })).body.dump();
await Promise.race([Promise.all(streams.map((s) => s.done)), sleep(15_000)]);
const activeUntil = performance.now() + 15_000;
let samples = await scrape();
while (performance.now() < activeUntil && sum(samples, 'cassia_proxy_streams_active') > 0) {
  await sleep(200);
  samples = await scrape();
}
const truth = await (await request(`${sim.url}/__sim/truth`)).body.json();

// --- comparison: proxy vs clients vs truth ---
const mismatches = [];
const totals = { events: 0, missing: 0, duplicate: 0, outOfOrder: 0 };
for (const gateway of sim.gateways) {
  const gt = truth.gateways[gateway];
  for (const [kind] of kinds) {
    const st = gt.streams[kind];
    const labels = { gateway, stream: kind };
    const got = {
      events: sum(samples, 'cassia_proxy_events_total', labels),
      missing: sum(samples, 'cassia_proxy_events_missing_total', labels),
      duplicate: sum(samples, 'cassia_proxy_events_duplicate_total', labels),
      outOfOrder: sum(samples, 'cassia_proxy_events_out_of_order_total', labels),
      received: streams.filter((s) => s.gateway === gateway && s.kind === kind).reduce((n, s) => n + s.events, 0),
    };
    const want = { events: st.delivered, missing: st.dropped, duplicate: st.duplicated, outOfOrder: st.reordered, received: st.delivered };
    for (const k of Object.keys(totals)) totals[k] += got[k];
    for (const k of Object.keys(want)) if (got[k] !== want[k]) mismatches.push(`${gateway} ${kind} ${k}: proxy/client ${got[k]}, truth ${want[k]}`);
  }
  const c = client.gateways.get(gateway);
  const p = {
    total: sum(samples, 'cassia_proxy_gateway_requests_total', { gateway }),
    502: sum(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '502' }),
    504: sum(samples, 'cassia_proxy_gateway_requests_total', { gateway, code: '504' }),
  };
  for (const k of ['total', '502', '504']) {
    if (p[k] !== gt.requests[k] || c[k] !== gt.requests[k]) mismatches.push(`${gateway} requests ${k}: proxy ${p[k]}, clients ${c[k]}, truth ${gt.requests[k]}`);
  }
}
const truthRequests = (k) => Object.values(truth.gateways).reduce((n, g) => n + g.requests[k], 0);
const proxyOrigin = sum(samples, 'cassia_proxy_requests_total', { origin: 'proxy' });
const analysisErrors = sum(samples, 'cassia_proxy_analysis_errors_total');
const endedEarly = streams.filter((s) => s.ended !== 'end');

// RSS slope after warm-up: least-squares fit of RSS (MiB) over time (min).
const after = memory.filter((m) => m.t >= warmupMinutes);
const slopeOf = (points, key) => {
  if (points.length < 2) return Number.NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / points.length;
  const mv = points.reduce((a, p) => a + p[key], 0) / points.length;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p[key] - mv), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return num / den;
};
const rssSlope = slopeOf(after, 'rss');
const heapSlope = slopeOf(after, 'heap');
const clientErrors = [...client.errors.entries()];

console.log('\nsoak: results');
console.log(`  load: ${client.sent} requests in ${loadSeconds.toFixed(0)} s (${(client.sent / loadSeconds).toFixed(0)} req/s), answers by status ${JSON.stringify(Object.fromEntries(client.statuses))}`);
console.log(`  proxy CPU: ${proxyCpu.toFixed(1)} s over the load (${(proxyCpu / loadSeconds * 100).toFixed(1)} % of one core)`);
console.log(`  streams: ${streams.length}, ended by the simulator's close ${streams.length - endedEarly.length}, otherwise ${endedEarly.length}`);
console.log(`  events through the proxy: ${totals.events}; missing ${totals.missing}, duplicate ${totals.duplicate}, out of order ${totals.outOfOrder}`);
console.log(`  truth: dropped ${Object.values(truth.gateways).reduce((n, g) => n + kinds.reduce((m, [k]) => m + g.streams[k].dropped, 0), 0)}, requests answered 502 ${truthRequests('502')}, 504 ${truthRequests('504')}`);
console.log(`  counts vs truth: ${mismatches.length === 0 ? 'all equal' : `${mismatches.length} MISMATCHES`}`);
for (const m of mismatches.slice(0, 40)) console.log(`    ${m}`);
console.log(`  proxy-origin answers: ${proxyOrigin}; analysis errors: ${analysisErrors}`);
console.log(`  client errors (resets, socket errors): ${clientErrors.length === 0 ? 0 : JSON.stringify(Object.fromEntries(clientErrors))}`);
console.log(`  RSS: start ${memory[0]?.rss.toFixed(1)} MiB, end ${memory.at(-1)?.rss.toFixed(1)} MiB; slope after ${warmupMinutes} min warm-up ${rssSlope.toFixed(3)} MiB/min (heap ${heapSlope.toFixed(3)} MiB/min, ${after.length} samples)`);

const ok = mismatches.length === 0 && clientErrors.length === 0 && endedEarly.length === 0 && proxyOrigin === 0 && analysisErrors === 0
  && (Number.isNaN(rssSlope) || rssSlope <= maxSlope);
console.log(`soak: ${ok ? 'PASS' : 'FAIL'}${Number.isNaN(rssSlope) ? ' (run too short for a slope)' : ''}`);
await agent.close();
await sseAgent.close();
await stopAll();
process.exit(ok ? 0 : 1);
