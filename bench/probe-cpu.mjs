// CPU an idle proxy spends probing: two proxies side by side on CPU 0, in front of one simulated
// AC with 1,000 gateways on CPU 1, with no client traffic at all. Both poll the hub list
// (discovery on, so both know every gateway); one of them also probes every gateway every 30 s.
// The difference of their CPU per second over the same minutes is the probes' cost; the target is
// ≤ 2 % of a core (20 ms per second). The floor, measured at the same time on CPU 0: a bare Node
// process making the same calls at the same pace with undici and nothing else
// (lib/request-loop.mjs). Also prints how many probes were sent and answered, so a run that did
// not probe cannot pass for a cheap one. The first round (one interval) is left out: it creates
// every gateway's probe series and counters once.
//
//   npm run build && node bench/probe-cpu.mjs [--gateways 1000] [--interval 30] [--seconds 60] [--max-per-second 40]
//
// maxPerSecond must allow gateways ÷ interval (1,000 ÷ 30 s = 34/s): the default 2 would stretch
// each gateway's turn to 500 s and measure a tenth of the work.
import { parseArgs } from 'node:util';
import { PRODUCT_NODE_FLAGS, cpuSeconds, cpuTimes, firstJsonLine, installCleanup, otherLoad, sleep, spawnPinned, stopAll } from './lib/procs.mjs';

const { values } = parseArgs({
  options: {
    gateways: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    'max-per-second': { type: 'string', default: '40' },
    warmup: { type: 'string', default: '35' },
  },
});
const gateways = Number(values.gateways);
const intervalMs = Number(values.interval) * 1000;
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
installCleanup();

const sim = spawnPinned(1, process.execPath, ['bench/lib/simulator-process.mjs', JSON.stringify({
  gateways, capwap: Math.ceil(gateways / 2), devicesPerGateway: 1, connectedPerGateway: 1, profile: 'clean', seed: 1,
})]);
const { url, key, secret, gateways: macs } = await firstJsonLine(sim, 60_000);

const discovery = { enabled: true, interval: 60_000, key, secret };
const probe = { enabled: true, interval: intervalMs, timeout: 10_000, maxPerSecond: Number(values['max-per-second']), call: 'connected-devices' };
// NODE_ARGS: node flags for the probing proxy only, for diagnosis (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
const start = (config, nodeArgs = []) => spawnPinned(0, process.execPath, [...PRODUCT_NODE_FLAGS, ...nodeArgs, 'bench/lib/proxy-process.mjs', url], {
  logPipe: true,
  env: { ...process.env, BENCH_PROXY_CONFIG: JSON.stringify(config) },
});
const quiet = start({ discovery, limits: { maxGateways: gateways + 10, maxTrackedDevices: 200_000, maxEventBytes: 1024 * 1024, maxClientConnections: 1024 } });
const prober = start({ discovery, probe, limits: { maxGateways: gateways + 10, maxTrackedDevices: 200_000, maxEventBytes: 1024 * 1024, maxClientConnections: 1024 } },
  (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean));
const [, proberInfo] = [await firstJsonLine(quiet), await firstJsonLine(prober)];
const rate = Math.min(gateways / (intervalMs / 1000), probe.maxPerSecond);
const floor = spawnPinned(0, process.execPath, ['bench/lib/request-loop.mjs', url, key, secret, String(rate), macs.join(',')]);
await firstJsonLine(floor);

/** Sum of a metric family's samples on the prober's /metrics (only lines containing `having`). */
async function metric(name, having = '') {
  const text = await (await fetch(`${proberInfo.adminUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(having)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

await sleep(warmup * 1000);
const targets = await metric('cassia_proxy_probe_targets');
const before = { quiet: cpuSeconds(quiet.pid), prober: cpuSeconds(prober.pid), floor: cpuSeconds(floor.pid), sim: cpuSeconds(sim.pid), cpu0: cpuTimes(0), probes: await metric('cassia_proxy_probes_total') };
await sleep(seconds * 1000);
const after = { quiet: cpuSeconds(quiet.pid), prober: cpuSeconds(prober.pid), floor: cpuSeconds(floor.pid), sim: cpuSeconds(sim.pid), cpu0: cpuTimes(0), probes: await metric('cassia_proxy_probes_total') };
const results = Object.fromEntries(['ok', '502', '504', 'timeout', 'error', 'unreachable']
  .map((result) => [result, 0]));
for (const result of Object.keys(results)) results[result] = await metric('cassia_proxy_probes_total', `result="${result}"`);

const perSecond = (s) => (s / seconds) * 1000;
const q = perSecond(after.quiet - before.quiet);
const p = perSecond(after.prober - before.prober);
const sent = after.probes - before.probes;
const f = perSecond(after.floor - before.floor);
const other = otherLoad(before.cpu0, after.cpu0, after.quiet - before.quiet + after.prober - before.prober + after.floor - before.floor);
console.log([
  `simulated AC: ${gateways} gateways; prober targets: ${targets}; interval ${intervalMs / 1000}s; maxPerSecond ${probe.maxPerSecond}; ${seconds}s measured after ${warmup}s`,
  `probes sent in the window: ${sent} (${(sent / seconds).toFixed(1)}/s; expected ${rate.toFixed(1)}/s); results so far: ${JSON.stringify(results)}`,
  `CPU, ms per second (share of one core):`,
  `  idle proxy, discovery only: ${q.toFixed(2)} (${(q / 10).toFixed(2)} %)`,
  `  idle proxy, discovery + probes: ${p.toFixed(2)} (${(p / 10).toFixed(2)} %)`,
  `  probes' cost: ${(p - q).toFixed(2)} (${((p - q) / 10).toFixed(2)} % of a core; ${sent > 0 ? (((p - q) / 1000) * seconds / sent * 1e6).toFixed(0) : '—'} µs per probe)`,
  `  floor, the same calls from a bare undici loop: ${f.toFixed(2)} (${(f / 10).toFixed(2)} %); probes' cost ÷ floor: ${(f > 0 ? (p - q) / f : NaN).toFixed(2)}`,
  `  simulator: ${perSecond(after.sim - before.sim).toFixed(1)} ms/s; CPU 0 used by others: ${(other * 100).toFixed(1)} %`,
].join('\n'));
await stopAll();
process.exit(0);
