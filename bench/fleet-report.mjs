// Scale benchmark of `cassia-ac-proxy report`: a fake fleet (bench/lib/fake-fleet.mjs: N sidecars,
// 4 per gateway, the product's per-gateway families, counters with a known truth) with 24 h of
// history backfilled into a real Prometheus (promtool tsdb create-blocks-from openmetrics) and
// live scrapes on top; then the report at --range 24h and 10m, with and without the recording
// rules, timed as a user runs it (the CLI from dist/), with Prometheus' memory (VmRSS from /proc)
// sampled during each run, the samples each query read (--query-stats, Prometheus' stats=all),
// and every count per gateway and transport checked against the truth.
//
//   npm run build && node bench/fleet-report.mjs --gateways 1000,5000 [--sidecars 20] [--live-minutes 17]
//
// Timeline per scale (ticks: every 240 s in the history, every 60 s live; samples: counters every
// 240 s in the history, 15 s live; per-process series every 15 s throughout):
//   H0 = now − 24 h − 30 min ........ history ........ L0 = backfill end | Prometheus starts, live
//   sidecar 3 restarts at H0+4h, sidecar 5 stops at H0+18h, a new sidecar starts at H0+21h,
//   every 25th CAPWAP gateway moves to MQTT at H0+16h; live: sidecar 7 restarts 8 min in.
// Every run stops by itself; every child is stopped by PID; the data directory is removed.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { createFakeFleet, expectedCounts, gatewayMac } from './lib/fake-fleet.mjs';
import { cpuSeconds, installCleanup, rssBytes, rssSplit, sleep, stopAll, stopChild, track } from './lib/procs.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values: opts } = parseArgs({
  options: {
    gateways: { type: 'string', default: '1000,5000,10000' },
    sidecars: { type: 'string', default: '20' },
    'live-minutes': { type: 'string', default: '17' },
    'history-hours': { type: 'string', default: '24.5' },
    'max-prometheus-gib': { type: 'string', default: '8' },
    'hold-minutes': { type: 'string', default: '0' },
    /** Another build's CLI (e.g. the previous release's dist/src/cli.js) to time in the same run. */
    compare: { type: 'string', default: '' },
    /** Up to which fleet size to run --compare (an old build may need far more memory). */
    'compare-max-gateways': { type: 'string', default: '1000' },
    out: { type: 'string', default: '' },
  },
});
const JOB = 'cassia-ac-proxy';
const HIST_TICK = 240;
const LIVE_TICK = 60;
const SCRAPE = 15;
const MAX_RSS = Number(opts['max-prometheus-gib']) * 2 ** 30;
const MIB = 2 ** 20;

installCleanup();
/** Temp dirs to remove at exit, whatever ends the run. */
const dirs = new Set();
process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const run = (cmd, args, o = {}) => new Promise((resolve, reject) => {
  const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...o }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  child.on('error', reject);
  child.on('exit', (code) => resolve({ code, out, err }));
});

/**
 * Writes the OpenMetrics lines `fill` produces (it calls `write(lines)` as it goes, so a window
 * never sits in memory) and turns them into blocks in `dataDir`.
 */
async function backfillWindow(dir, dataDir, fill) {
  const file = join(dir, 'window.om');
  const stream = createWriteStream(file);
  let n = 0;
  await fill(async (lines) => {
    if (lines.length === 0) return;
    n += lines.length;
    if (!stream.write(`${lines.join('\n')}\n`)) await once(stream, 'drain');
  });
  stream.end('# EOF\n');
  await once(stream, 'finish');
  const size = statSync(file).size;
  const r = await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', file, dataDir]);
  rmSync(file, { force: true });
  if (r.code !== 0) throw new Error(`promtool failed: ${r.err.slice(-2000)}`);
  return { samples: n, bytes: size };
}

async function scale(gateways, sidecars) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  dirs.add(dir);
  const dataDir = join(dir, 'data');
  const result = { gateways, sidecars };
  let prometheus;
  const servers = [];
  let ticker;
  let guard;
  try {
    const now0 = Date.now() / 1000;
    const H0 = Math.floor((now0 - Number(opts['history-hours']) * 3600) / HIST_TICK) * HIST_TICK;
    const L0 = Math.floor(now0 / HIST_TICK) * HIST_TICK;
    const histTicks = (L0 - H0) / HIST_TICK;
    const tickAt = (t) => Math.round((t - H0) / HIST_TICK);
    // Every 25th CAPWAP gateway moves at H0+16h, every 25th other one at the 4th live tick.
    const moves = new Map();
    for (let g = 0; g < gateways; g += 2) {
      if (g % 50 === 0) moves.set(g, tickAt(H0 + 16 * 3600));
      else if (g % 50 === 26) moves.set(g, histTicks + 4);
    }
    const fleet = createFakeFleet({ sidecars: sidecars + 1, gateways, perGateway: 4, moves });
    const NEW = sidecars;
    // Ports: live sidecars listen now; the stopped one keeps a label only.
    const live = fleet.sidecars.map((s) => s.index).filter((i) => i !== 5);
    for (const i of live) {
      const server = createServer((_req, res) => {
        if (!fleet.serving(i)) return res.writeHead(503).end();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(fleet.exposition(i));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      servers[i] = server;
    }
    const instance = (i) => (servers[i] ? `127.0.0.1:${servers[i].address().port}` : `127.0.0.1:${10000 + i}`);
    const target = (i) => `job="${JOB}",instance="${instance(i)}"`;

    // History: process starts, stops and ticks in time order, written 2 h at a time.
    log(`${gateways} gateways: history ${new Date(H0 * 1000).toISOString()} → ${new Date(L0 * 1000).toISOString()}, ${fleet.perSidecar} gateways per sidecar`);
    const events = [
      [H0 - 3600, () => { for (let i = 0; i < sidecars; i++) fleet.start(i, H0 - 3600 - 600 * i); }],
      [H0 + 4 * 3600 + 130, () => { fleet.stop(3, H0 + 4 * 3600 + 130); fleet.start(3, H0 + 4 * 3600 + 180); }],
      [H0 + 18 * 3600 + 130, () => fleet.stop(5, H0 + 18 * 3600 + 130)],
      [H0 + 21 * 3600 + 100, () => fleet.start(NEW, H0 + 21 * 3600 + 100)],
    ];
    const activity = new Map();
    const ruleLines = (t) => {
      const out = [`job:cassia_proxy_fleet_rules:since_timestamp_seconds{job="${JOB}"} ${H0 + 30} ${t}`];
      for (const [key, a] of activity) {
        const [mac, transport] = key.split(' ');
        const l = `job="${JOB}",gateway="${mac}",transport="${transport}"`;
        out.push(`job_gateway_transport:cassia_proxy_active:first_timestamp_seconds{${l}} ${a.first} ${t}`);
        out.push(`job_gateway_transport:cassia_proxy_active:last_timestamp_seconds{${l}} ${a.last} ${t}`);
        out.push(`job_gateway_transport:cassia_proxy_events:last_timestamp_seconds{${l}} ${a.last} ${t}`);
      }
      return out;
    };
    const backfillStarted = Date.now();
    let samples = 0;
    let bytes = 0;
    // Windows on Prometheus' 2 h block boundaries: one block each, nothing to compact.
    for (let from = Math.floor((H0 - 3600) / 7200) * 7200; from < L0; from += 7200) {
      const to = Math.min(L0, from + 7200);
      const w = await backfillWindow(dir, dataDir, async (write) => { for (let t = from; t < to; t += SCRAPE) {
        while (events.length && events[0][0] <= t) events.shift()[1]();
        if (t >= H0 && (t - H0) % HIST_TICK === 0) {
          fleet.tick(t);
          const k = fleet.ticks.length - 1;
          for (let g = 0; g < gateways; g++) {
            for (const transport of ['capwap', 'mqtt']) {
              if (!fleet.activeAt(g, transport, k)) continue;
              const key = `${gatewayMac(g)} ${transport}`;
              const a = activity.get(key) ?? { first: t + 30, last: t + 30 };
              a.last = t + 30;
              activity.set(key, a);
            }
          }
        }
        const counters = t >= H0 && (t - H0) % HIST_TICK === 30;
        await write(fleet.historyLines(t, target, !counters));
        if (counters) await write(ruleLines(t));
      } });
      samples += w.samples;
      bytes += w.bytes;
      log(`  backfilled ${new Date(from * 1000).toISOString().slice(0, 16)}: ${(w.samples / 1e6).toFixed(1)} M samples`);
    }
    while (events.length) events.shift()[1]();
    result.backfill = { samples, gib: bytes / 2 ** 30, seconds: (Date.now() - backfillStarted) / 1000 };

    // A bridge over the time the backfill took: per-process series and the rules' persistent
    // series, so the live rules continue them (a gap over 10 minutes would restart them).
    const bridgeEnd = Math.ceil((Date.now() / 1000 + 60) / SCRAPE) * SCRAPE;
    await backfillWindow(dir, dataDir, async (write) => {
      for (let t = L0; t <= bridgeEnd; t += SCRAPE) {
        await write(fleet.historyLines(t, target, true));
        if ((t - L0) % 120 === 0 || t === bridgeEnd) await write(ruleLines(t));
      }
    });
    rmSync(join(dataDir, 'wal'), { recursive: true, force: true });

    // Prometheus: the shipped rules, 15 s scrapes; no compaction of the backfilled blocks.
    const port = servers[0].address().port + 1000;
    const config = join(dir, 'prometheus.yml');
    writeFileSync(join(dir, 'fleet-rules.yml'), readFileSync(join(root, 'prometheus/fleet-rules.yml')));
    writeFileSync(config, [
      'global: {scrape_interval: 15s, evaluation_interval: 15s, scrape_timeout: 10s}',
      'rule_files: [fleet-rules.yml]',
      'scrape_configs:',
      `  - job_name: ${JOB}`,
      `    static_configs: [{targets: [${live.map((i) => `"${instance(i)}"`).join(', ')}]}]`,
    ].join('\n'));
    while (Date.now() / 1000 < bridgeEnd + 1) await sleep(200);
    prometheus = track(spawn('prometheus', [
      `--config.file=${config}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=15d', '--storage.tsdb.max-block-duration=2h', '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] }));
    let promLog = '';
    prometheus.stderr.on('data', (d) => { promLog = (promLog + d).slice(-4000); });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${promLog}`);
      if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
      if (i > 600) throw new Error('prometheus not ready in 120 s');
      await sleep(200);
    }
    const liveStart = Date.now() / 1000;
    result.prometheusReadySeconds = liveStart - bridgeEnd;

    // Live: a tick every minute on the minute; sidecar 7 restarts after 8 minutes.
    let peakIdle = 0;
    guard = setInterval(() => {
      const rss = rssBytes(prometheus.pid);
      peakIdle = Math.max(peakIdle, rss);
      if (rss > MAX_RSS) {
        log(`prometheus RSS ${(rss / MIB).toFixed(0)} MiB over the limit: stopping`);
        stopChild(prometheus, 'SIGKILL');
      }
    }, 1000);
    const restartAt = liveStart + 8 * 60;
    const nextTick = () => setTimeout(() => {
      const t = Math.round(Date.now() / 1000 / LIVE_TICK) * LIVE_TICK;
      fleet.tick(t);
      if (t >= restartAt && fleet.sidecars[7].processes.length === 1) {
        // Half a minute after the tick: its last counts have been scraped.
        setTimeout(() => { fleet.stop(7, Date.now() / 1000); fleet.start(7, Date.now() / 1000); }, 30_000);
      }
      ticker = nextTick();
    }, (LIVE_TICK - (Date.now() / 1000) % LIVE_TICK) * 1000);
    ticker = nextTick();

    // The report's time: after the live minutes, where history and live samples all follow their
    // tick (T mod 240 in [200, 230]: 20–50 s after a live tick, 200 s after a history tick).
    let T = Math.ceil((liveStart + Number(opts['live-minutes']) * 60) / HIST_TICK) * HIST_TICK + 200;
    log(`  live from ${new Date(liveStart * 1000).toISOString()}; reports at ${new Date(T * 1000).toISOString()}`);
    while (Date.now() / 1000 < T + 25) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited: ${promLog}`);
      await sleep(1000);
    }
    result.prometheusIdleMiB = rssBytes(prometheus.pid) / MIB;
    result.headSeries = (await (await fetch(`${url}/api/v1/query?query=prometheus_tsdb_head_series`)).json().catch(() => null))?.data?.result?.[0]?.value?.[1] ?? null;
    const head = await (await fetch(`${url}/api/v1/status/tsdb`)).json();
    result.headSeries = head?.data?.headStats?.numSeries ?? result.headSeries;
    // What the recording rules cost Prometheus: one evaluation of the group (every minute).
    const groups = (await (await fetch(`${url}/api/v1/rules`)).json())?.data?.groups ?? [];
    result.rulesEvaluationSeconds = groups.find((g) => g.name === 'cassia-ac-proxy-fleet-report')?.evaluationTime ?? null;

    result.runs = [];
    for (const [name, range, selector] of [
      ['24h rules', '24h', `{job="${JOB}"}`],
      ['24h raw', '24h', `{job="${JOB}",instance=~".+"}`],
      ['10m rules', '10m', `{job="${JOB}"}`],
      ['10m raw', '10m', `{job="${JOB}",instance=~".+"}`],
    ]) {
      result.runs.push(await timedReport(name, url, prometheus.pid, range, selector, T, dir, fleet));
      const last = result.runs.at(-1);
      log(`  ${name}: ${last.seconds.toFixed(2)} s (Prometheus CPU ${last.prometheusCpuSeconds.toFixed(2)} s, report CPU ${last.reportCpuSeconds.toFixed(2)} s, load ${last.loadAverage}), exit ${last.exit}, max ${(last.maxSamples / 1e6).toFixed(2)} M samples (${last.maxSamplesQuery}), RSS +${last.rssGrowthMiB.toFixed(0)} MiB (anon +${last.anonGrowthMiB.toFixed(0)}, file +${last.fileGrowthMiB.toFixed(0)}), ${last.mismatches} mismatches, ${last.activity}`);
    }
    if (opts.compare && gateways <= Number(opts['compare-max-gateways'])) {
      // The other build has neither --time nor --query-stats: it reports at "now", and only its
      // time, Prometheus' CPU and memory are comparable.
      for (const range of ['10m', '24h']) {
        const before = rssBytes(prometheus.pid);
        const cpuBefore = cpuSeconds(prometheus.pid);
        let peak = before;
        const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(prometheus.pid)); }, 50);
        const started = performance.now();
        const r = await run(process.execPath, [opts.compare, 'report', '--prometheus', url, '--range', range, '--format', 'json', '--timeout', '120s']);
        clearInterval(sampler);
        const compared = {
          name: `${range} (${opts.compare})`, exit: r.code, error: r.code === 0 ? null : r.err.trim().slice(0, 300),
          seconds: (performance.now() - started) / 1000, prometheusCpuSeconds: cpuSeconds(prometheus.pid) - cpuBefore,
          rssBeforeMiB: before / MIB, rssGrowthMiB: (peak - before) / MIB,
          loadAverage: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
        };
        (result.compared ??= []).push(compared);
        log(`  compared ${compared.name}: ${compared.seconds.toFixed(1)} s (Prometheus CPU ${compared.prometheusCpuSeconds.toFixed(1)} s), exit ${compared.exit}, RSS +${compared.rssGrowthMiB.toFixed(0)} MiB ${compared.error ?? ''}`);
      }
    }
    result.prometheusPeakMiB = peakIdle / MIB;
    const hold = Number(opts['hold-minutes']);
    if (hold > 0) {
      log(`  holding Prometheus at ${url} (T = ${T}) for ${hold} minutes`);
      await sleep(hold * 60_000);
    }
    return result;
  } finally {
    clearTimeout(ticker);
    clearInterval(guard);
    if (prometheus) await stopChild(prometheus);
    for (const s of servers) {
      s?.closeAllConnections();
      s?.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the CLI report at time T; Prometheus' RSS every 50 ms; then checks every count against the truth. */
async function timedReport(name, url, pid, range, selector, T, dir, fleet) {
  const out = join(dir, 'report.json');
  const stats = join(dir, 'stats.jsonl');
  const before = rssBytes(pid);
  const cpuBefore = cpuSeconds(pid);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  let peak = before;
  const splitBefore = rssSplit(pid);
  const splitPeak = { ...splitBefore };
  const sample = () => {
    peak = Math.max(peak, rssBytes(pid));
    const now = rssSplit(pid);
    splitPeak.anon = Math.max(splitPeak.anon, now.anon);
    splitPeak.file = Math.max(splitPeak.file, now.file);
  };
  const sampler = setInterval(sample, 50);
  const started = performance.now();
  const r = await run('/usr/bin/time', ['-f', '%U %S', process.execPath, join(root, 'dist/src/cli.js'), 'report', '--prometheus', url, '--range', range, '--selector', selector,
    '--time', String(T), '--format', 'json', '--out', out, '--query-stats', stats, '--timeout', '120s']);
  const seconds = (performance.now() - started) / 1000;
  const prometheusCpu = cpuSeconds(pid) - cpuBefore;
  const [user, sys] = r.err.trim().split('\n').at(-1).split(' ').map(Number);
  clearInterval(sampler);
  sample();
  const queries = readFileSync(stats, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const worst = queries.reduce((a, q) => ((q.samples ?? 0) > (a.samples ?? 0) ? q : a), { samples: 0, name: '' });
  const worstPeak = queries.reduce((a, q) => Math.max(a, q.peakSamples ?? 0), 0);
  const slowest = queries.reduce((a, q) => (q.seconds > a.seconds ? q : a), { seconds: 0, name: '' });
  const res = {
    name, exit: r.code, error: r.code === 0 ? null : r.err.trim(), seconds, queries: queries.length,
    prometheusCpuSeconds: prometheusCpu, reportCpuSeconds: user + sys, loadAverage: Number(load),
    maxSamples: worst.samples ?? 0, maxSamplesQuery: worst.name, maxPeakSamples: worstPeak,
    slowestQuery: `${slowest.name} ${slowest.seconds.toFixed(2)} s`,
    perQuery: queries.map((q) => [q.name, Number(q.seconds.toFixed(3)), q.samples, q.peakSamples]),
    totalSamples: queries.reduce((a, q) => a + (q.samples ?? 0), 0),
    rssBeforeMiB: before / MIB, rssGrowthMiB: (peak - before) / MIB,
    // Of which heap (anon) and pages of the blocks' files read through mmap (file), each at its own peak.
    anonGrowthMiB: (splitPeak.anon - splitBefore.anon) / MIB, fileGrowthMiB: (splitPeak.file - splitBefore.file) / MIB,
    mismatches: -1, checked: 0, activity: '',
  };
  if (r.code !== 0) return res;
  // Exactness: the same report through the module API (same T) for the per-gateway figures.
  const { createPromClient } = await import(join(root, 'dist/src/fleet/client.js'));
  const { collectFleet } = await import(join(root, 'dist/src/fleet/collect.js'));
  const rangeSeconds = range === '24h' ? 86_400 : 600;
  const client = createPromClient({ url: new URL(url), headers: {}, timeoutMs: 120_000, time: T * 1000 });
  const fleetReport = await collectFleet({ client, selector, rangeSeconds, now: T * 1000 }).finally(() => client.close());
  res.activity = `${fleetReport.plan.activity} (${fleetReport.plan.activityResolutionSeconds} s), ${fleetReport.plan.restartedProxies} proxies counted by process`;
  const json = JSON.parse(readFileSync(out, 'utf8'));
  let mismatches = 0;
  let checked = 0;
  const samples = [];
  const compare = (label, got, want) => {
    checked++;
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches++;
      if (samples.length < 5) samples.push(`${label}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
    }
  };
  const fig = (f) => ({
    requests: f.requests, upstream502: f.status502.upstream.count, proxy502: f.status502.proxy.count, upstream504: f.status504.upstream.count,
    proxy504: f.status504.proxy.count, events: f.events, sequenced: f.sequenced, missing: f.missing, outOfOrder: f.outOfOrder, duplicate: f.duplicate,
    outages: f.outages, outageErrors: f.outageErrors, chipBusy: f.acErrors.chip_busy,
  });
  for (const [period, from, pick] of [['range', T - rangeSeconds, (g) => g.sinceStart], ['window', T - Math.min(900, rangeSeconds), (g) => g.window]]) {
    const want = expectedCounts(fleet.truth(from, T));
    const got = new Map(fleetReport.gateways.map((g) => [g.gateway, fig(pick(g))]));
    for (const [mac, counts] of want.gateways) compare(`${period} ${mac}`, got.get(mac), counts);
    for (const mac of got.keys()) if (!want.gateways.has(mac) && got.get(mac).requests > 0) compare(`${period} ${mac} (not in truth)`, got.get(mac), null);
    if (period === 'range') {
      // The CLI's JSON: every CAPWAP gateway's 502/504 and loss counts (the verdicts leave the
      // 502/504s inside outages out of both sides of the rate), and the transports.
      for (const rec of json.recommendations) {
        const seg = want.segments.get(`${rec.gateway} capwap`);
        compare(`json ${rec.gateway}`, [rec.errors.a.count, rec.errors.a.total, rec.loss.a.count],
          [seg.upstream502 + seg.proxy502 + seg.upstream504 + seg.proxy504 - seg.outageErrors, seg.requests - seg.outageErrors, seg.missing]);
      }
      for (const t of json.transports) {
        const w = want.transports.get(t.transport);
        compare(`json transport ${t.transport}`, [t.sinceStart.requests, t.sinceStart.events], [w?.requests, w?.events]);
      }
    }
  }
  res.mismatches = mismatches;
  res.checked = checked;
  res.mismatchSamples = samples;
  return res;
}

const all = [];
try {
  for (const gateways of opts.gateways.split(',').map(Number)) {
    const r = await scale(gateways, Number(opts.sidecars));
    all.push(r);
    console.log(JSON.stringify(r));
  }
} finally {
  await stopAll();
}
if (opts.out) writeFileSync(opts.out, `${JSON.stringify(all, null, 2)}\n`);
console.log('\n| gateways | head series | run | seconds (load) | Prometheus CPU s | max samples/query (name) | peak samples | Prometheus RSS before → growth (heap, file pages) | exact |');
console.log('|---:|---:|---|---:|---:|---|---:|---|---|');
for (const r of all) {
  for (const x of r.runs ?? []) {
    console.log(`| ${r.gateways} | ${r.headSeries} | ${x.name} | ${x.seconds.toFixed(1)} (${x.loadAverage}) | ${x.prometheusCpuSeconds.toFixed(1)} | ${(x.maxSamples / 1e6).toFixed(2)} M (${x.maxSamplesQuery}) | ${(x.maxPeakSamples / 1e6).toFixed(2)} M | ${x.rssBeforeMiB.toFixed(0)} MiB → +${x.rssGrowthMiB.toFixed(0)} MiB (+${x.anonGrowthMiB.toFixed(0)}, +${x.fileGrowthMiB.toFixed(0)}) | ${x.mismatches === 0 ? `yes (${x.checked})` : `NO: ${x.mismatches}/${x.checked}`} |`);
  }
}
process.exit(0);
