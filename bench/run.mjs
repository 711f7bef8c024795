// Request benchmark: upstream (CPU 1) <- [direct | cassia-ac-proxy (CPU 0) | nginx (CPU 0)] <- wrk (CPU 1).
// Alternates direct, proxy, nginx for N rounds after a warm-up, measures req/s, p50/p99, each
// proxy's own CPU time per request (/proc utime+stime / requests served) and RSS, and prints
// medians, bests and ratios against the direct connection and nginx from the same run.
// Usage: npm run bench [-- --duration 10 --rounds 6 --connections 32 --warmup 10 --quick --no-nginx --json out.json]
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { PRODUCT_NODE_FLAGS, cpuSeconds, cpuTimes, otherLoad, firstJsonLine, installCleanup, pinSelf, rssBytes, spawnPinned, stopAll, stopChild, sumOver } from './lib/procs.mjs';
import { hasWrk, runWrk, WRK } from './lib/wrk.mjs';
import { hasNginx, startNginx } from './lib/nginx.mjs';
import { GATT_PATH, HUBS_PATH } from './lib/fixtures.mjs';

const PROXY_CPU = 0;
const LOAD_CPU = 1;
const TARGET_CPU_US = 60;

function options(argv) {
  const env = process.env;
  const o = {
    duration: Number(env.BENCH_DURATION ?? 10),
    rounds: Number(env.BENCH_ROUNDS ?? 5),
    connections: Number(env.BENCH_CONNECTIONS ?? 32),
    warmup: Number(env.BENCH_WARMUP ?? 10),
    nginx: env.BENCH_NGINX !== '0',
    gatt: env.BENCH_GATT !== '0',
    baseline: env.BENCH_BASELINE === '1',
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--duration') o.duration = Number(value());
    else if (arg === '--rounds') o.rounds = Number(value());
    else if (arg === '--connections') o.connections = Number(value());
    else if (arg === '--warmup') o.warmup = Number(value());
    else if (arg === '--json') o.json = value();
    else if (arg === '--no-nginx') o.nginx = false;
    else if (arg === '--no-gatt') o.gatt = false;
    else if (arg === '--baseline') o.baseline = true;
    else if (arg === '--quick') Object.assign(o, { duration: 3, rounds: 1, warmup: 3 });
    else if (arg === '--help' || arg === '-h') {
      console.log('node bench/run.mjs [--duration s] [--rounds n] [--connections n] [--warmup s] [--quick] [--no-nginx] [--no-gatt] [--baseline] [--json file]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  for (const key of ['duration', 'rounds', 'connections', 'warmup']) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) throw new Error(`--${key} must be a positive number`);
  }
  o.duration = Math.ceil(o.duration);
  o.warmup = Math.ceil(o.warmup);
  return o;
}

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const best = (xs, higherIsBetter) => {
  const s = xs.filter(Number.isFinite);
  if (s.length === 0) return Number.NaN;
  return higherIsBetter ? Math.max(...s) : Math.min(...s);
};

async function startNodeChild(script, args) {
  // BENCH_PROXY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the proxy child only.
  const nodeArgs = script.nodeArgs ?? [];
  const child = spawnPinned(script.cpu, process.execPath, [...nodeArgs, fileURLToPath(new URL(script.file, import.meta.url)), ...args], { logPipe: script.logPipe ?? false });
  const info = await firstJsonLine(child);
  return { child, info };
}

/** One wrk run against a target, with the target's CPU time and peak RSS over the run. */
async function measure(target, o) {
  const pids = target.pids();
  const cpuBefore = sumOver(pids, cpuSeconds);
  const cpu0Before = cpuTimes(PROXY_CPU);
  let rss = 0;
  const sampleRss = () => { if (pids.length) rss = Math.max(rss, sumOver(pids, rssBytes)); };
  const sampler = setInterval(sampleRss, 1000);
  let result;
  try {
    result = await runWrk({ url: target.url + target.path, seconds: o.duration, connections: o.connections, cpu: LOAD_CPU });
  } finally {
    clearInterval(sampler);
  }
  sampleRss();
  const cpu = pids.length ? sumOver(pids, cpuSeconds) - cpuBefore : Number.NaN;
  const others = otherLoad(cpu0Before, cpuTimes(PROXY_CPU), Number.isFinite(cpu) ? cpu : 0);
  return { ...result, otherLoad: others, cpuUsPerReq: result.requests ? (cpu * 1e6) / result.requests : Number.NaN, rss: pids.length ? rss : Number.NaN };
}

function fmt(n, digits = 0) {
  return Number.isFinite(n) ? n.toFixed(digits) : '—';
}

function printTable(names, runs, o) {
  const rows = [];
  const header = ['target', 'req/s med (best)', 'p50 ms med', 'p99 ms med', 'CPU µs/req med (best)', 'RSS MiB max', 'rps ÷ direct med (best)', 'rps ÷ nginx med', 'CPU ÷ nginx med'];
  const perRound = (name, f) => runs.map((round) => (round[name] ? f(round) : Number.NaN));
  for (const name of names) {
    const mine = runs.map((round) => round[name]).filter(Boolean);
    const rps = mine.map((r) => r.rps);
    const cpu = mine.map((r) => r.cpuUsPerReq);
    const vsDirect = perRound(name, (round) => round[name].rps / round.direct.rps);
    const vsNginx = perRound(name, (round) => (round.nginx ? round[name].rps / round.nginx.rps : Number.NaN));
    const cpuVsNginx = perRound(name, (round) => (round.nginx ? round[name].cpuUsPerReq / round.nginx.cpuUsPerReq : Number.NaN));
    rows.push([
      name,
      `${fmt(median(rps))} (${fmt(best(rps, true))})`,
      fmt(median(mine.map((r) => r.p50)), 3),
      fmt(median(mine.map((r) => r.p99)), 3),
      name === 'direct' ? '—' : `${fmt(median(cpu), 1)} (${fmt(best(cpu, false), 1)})`,
      fmt(Math.max(...mine.map((r) => r.rss)) / 2 ** 20, 1),
      name === 'direct' ? '1' : `${fmt(median(vsDirect), 2)} (${fmt(best(vsDirect, true), 2)})`,
      name === 'direct' || !o.nginx ? '—' : fmt(median(vsNginx), 2),
      name !== 'direct' && name !== 'nginx' && o.nginx ? fmt(median(cpuVsNginx), 2) : '—',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function main() {
  const o = options(process.argv.slice(2));
  if (!hasWrk()) {
    console.error(`wrk not found at ${WRK}: install it (apt-get install wrk) to run the request benchmark.`);
    process.exit(1);
  }
  installCleanup();
  pinSelf(LOAD_CPU);
  const useNginx = o.nginx && hasNginx();
  o.nginx = useNginx;
  const names = ['direct', 'proxy', ...(o.gatt ? ['proxy-gatt'] : []), ...(o.baseline ? ['node-floor'] : []), ...(useNginx ? ['nginx'] : [])];
  const estimate = o.warmup * (o.baseline ? 2 : 1) + 6 + o.rounds * names.length * (o.duration + 1);
  console.log(`# cassia-ac-proxy request benchmark — ${new Date().toISOString()}`);
  console.log(`# node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), wrk ${spawnSync(WRK, ['-v'], { encoding: 'utf8' }).stdout.split(' ')[1] ?? '?'}${useNginx ? `, ${spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr.trim()}` : ', no nginx'}`);
  console.log(`# GET ${HUBS_PATH}${o.gatt ? ` (proxy-gatt: GET ${GATT_PATH})` : ''}, 621-byte JSON answer, wrk -t1 -c${o.connections} -d${o.duration}s --latency; proxy/nginx on CPU ${PROXY_CPU}, upstream+wrk on CPU ${LOAD_CPU}`);
  console.log(`# ${o.rounds} round(s) of ${names.join(', ')} after a ${o.warmup}s proxy warm-up; about ${Math.ceil(estimate / 60)} min`);

  const upstream = await startNodeChild({ file: './lib/upstream-process.mjs', cpu: LOAD_CPU }, []);
  const proxy = await startNodeChild({ file: './lib/proxy-process.mjs', cpu: PROXY_CPU, logPipe: true, nodeArgs: [...PRODUCT_NODE_FLAGS, ...(process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean)] }, [upstream.info.url]);
  // The floor runs with the same V8 flags as the proxy: same runtime, only the code differs.
  const floor = o.baseline ? await startNodeChild({ file: './lib/baseline-proxy.mjs', cpu: PROXY_CPU, nodeArgs: PRODUCT_NODE_FLAGS }, [upstream.info.url]) : null;
  const nginx = useNginx ? await startNginx({ upstreamUrl: upstream.info.url, cpu: PROXY_CPU }) : null;
  const targets = {
    direct: { url: upstream.info.url, path: HUBS_PATH, pids: () => [] },
    proxy: { url: proxy.info.proxyUrl, path: HUBS_PATH, pids: () => [proxy.child.pid] },
    'proxy-gatt': { url: proxy.info.proxyUrl, path: GATT_PATH, pids: () => [proxy.child.pid] },
    ...(floor ? { 'node-floor': { url: floor.info.proxyUrl, path: HUBS_PATH, pids: () => [floor.child.pid] } } : {}),
    ...(nginx ? { nginx: { url: nginx.url, path: HUBS_PATH, pids: nginx.pids } } : {}),
  };

  const budget = setTimeout(() => {
    console.error(`benchmark overran its budget (${Math.ceil(estimate * 1.5)} s): stopping`);
    stopAll().finally(() => process.exit(1));
  }, estimate * 1500);
  budget.unref();

  console.log(`# warm-up: proxy ${o.warmup}s${nginx ? ', nginx 2s' : ''}, direct 2s`);
  await runWrk({ url: targets.proxy.url + HUBS_PATH, seconds: o.warmup, connections: o.connections, cpu: LOAD_CPU });
  if (o.gatt) await runWrk({ url: targets.proxy.url + GATT_PATH, seconds: 2, connections: o.connections, cpu: LOAD_CPU });
  if (floor) await runWrk({ url: targets['node-floor'].url + HUBS_PATH, seconds: o.warmup, connections: o.connections, cpu: LOAD_CPU });
  if (nginx) await runWrk({ url: targets.nginx.url + HUBS_PATH, seconds: 2, connections: o.connections, cpu: LOAD_CPU });
  await runWrk({ url: targets.direct.url + HUBS_PATH, seconds: 2, connections: o.connections, cpu: LOAD_CPU });

  const runs = [];
  for (let round = 1; round <= o.rounds; round++) {
    const results = {};
    for (const name of names) {
      results[name] = await measure(targets[name], o);
      const r = results[name];
      const errors = r.non2xx + r.socketErrors;
      console.log(`round ${round} ${name.padEnd(10)} ${fmt(r.rps).padStart(6)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms` +
        `${name === 'direct' ? '' : `  CPU ${fmt(r.cpuUsPerReq, 1)} µs/req  RSS ${fmt(r.rss / 2 ** 20, 1)} MiB`}  CPU${PROXY_CPU} others ${fmt(r.otherLoad * 100)}%${errors ? `  ERRORS ${errors} (non-2xx ${r.non2xx}, socket ${r.socketErrors})` : ''}`);
    }
    runs.push(results);
  }

  console.log('');
  printTable(names, runs, o);
  console.log('');
  for (const name of names.filter((n) => n.startsWith('proxy'))) {
    const proxyCpu = median(runs.map((r) => r[name].cpuUsPerReq));
    console.log(`${name} CPU per request, median ${fmt(proxyCpu, 1)} µs: ${proxyCpu <= TARGET_CPU_US ? 'within' : 'OVER'} the ${TARGET_CPU_US} µs target.`);
  }
  console.log('Ratios are computed per round (same minutes of machine noise) and then summarised; CPU µs/req is the steadiest figure.');
  const noisy = runs.flatMap((round) => Object.values(round)).filter((r) => r.otherLoad > 0.1).length;
  if (noisy) console.log(`NOTE: in ${noisy} run(s) other processes used >10% of CPU ${PROXY_CPU} (the proxy's core): those rounds' req/s and latency are polluted; CPU µs/req less so.`);
  if (runs.some((round) => Object.values(round).some((r) => r.non2xx + r.socketErrors > 0))) console.log('WARNING: some runs had non-2xx answers or socket errors (see above).');

  if (o.json) writeFileSync(o.json, `${JSON.stringify({ date: new Date().toISOString(), options: o, runs }, null, 2)}\n`);

  clearTimeout(budget);
  if (nginx) await nginx.stop();
  await stopChild(proxy.child);
  if (floor) await stopChild(floor.child);
  await stopChild(upstream.child);
  await stopAll();
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
