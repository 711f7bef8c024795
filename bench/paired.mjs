// Paired request benchmark: cassia-ac-proxy and the bare node floor (bench/lib/baseline-proxy.mjs)
// share CPU 0 and are loaded AT THE SAME TIME, each by its own wrk on CPU 1, so both see the same
// minutes of machine noise. Both are CPU-bound on one core, which the scheduler splits evenly, so
// the ratio of requests they complete is the inverse ratio of their CPU per request; their own
// CPU time per request (/proc, all threads) is printed alongside. On a machine whose speed moves
// within minutes this ratio is much steadier than one from runs taken one after the other
// (bench/run.mjs --baseline).
// Usage: node bench/paired.mjs [--rounds 8] [--duration 5] [--warmup 5] [--connections 16] [--gatt | --error]
import { cpuSeconds, firstJsonLine, installCleanup, pinSelf, PRODUCT_NODE_FLAGS, spawnPinned, stopAll } from './lib/procs.mjs';
import { hasWrk, runWrk, WRK } from './lib/wrk.mjs';
import { ERROR_PATH, GATT_PATH, HUBS_PATH } from './lib/fixtures.mjs';
import { fileURLToPath } from 'node:url';


function options(argv) {
  const o = { rounds: 8, duration: 5, warmup: 5, connections: 16, path: HUBS_PATH };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => Number(argv[++i]);
    if (arg === '--rounds') o.rounds = value();
    else if (arg === '--duration') o.duration = value();
    else if (arg === '--warmup') o.warmup = value();
    else if (arg === '--connections') o.connections = value();
    else if (arg === '--gatt') o.path = GATT_PATH;
    else if (arg === '--error') o.path = ERROR_PATH;
    else if (arg === '--help' || arg === '-h') {
      console.log('node bench/paired.mjs [--rounds n] [--duration s] [--warmup s] [--connections n per target] [--gatt | --error]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  for (const key of ['rounds', 'duration', 'warmup', 'connections']) {
    if (!Number.isInteger(o[key]) || o[key] <= 0) throw new Error(`--${key} must be a positive integer`);
  }
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function start(file, args, extra = {}) {
  const child = spawnPinned(extra.cpu ?? 0, process.execPath, [...(extra.nodeArgs ?? []), fileURLToPath(new URL(file, import.meta.url)), ...args], { logPipe: extra.logPipe ?? false });
  return { child, info: await firstJsonLine(child) };
}

async function main() {
  const o = options(process.argv.slice(2));
  if (!hasWrk()) {
    console.error(`wrk not found at ${WRK}: install it (apt-get install wrk) to run the request benchmark.`);
    process.exit(1);
  }
  installCleanup();
  pinSelf(1);
  const budget = setTimeout(() => {
    console.error('paired benchmark overran its budget: stopping');
    stopAll().finally(() => process.exit(1));
  }, (o.warmup + o.rounds * (o.duration + 2) + 60) * 1000);
  budget.unref();

  const upstream = await start('./lib/upstream-process.mjs', [], { cpu: 1 });
  const proxy = await start('./lib/proxy-process.mjs', [upstream.info.url], { nodeArgs: PRODUCT_NODE_FLAGS, logPipe: true });
  const floor = await start('./lib/baseline-proxy.mjs', [upstream.info.url], { nodeArgs: PRODUCT_NODE_FLAGS });
  const targets = [
    { name: 'proxy', url: proxy.info.proxyUrl + o.path, pid: proxy.child.pid },
    { name: 'node-floor', url: floor.info.proxyUrl + o.path, pid: floor.child.pid },
  ];
  console.log(`# paired benchmark — ${new Date().toISOString()}, node ${process.version}, node flags ${PRODUCT_NODE_FLAGS.join(' ')}`);
  console.log(`# GET ${o.path}; proxy and node floor both on CPU 0, loaded together by two wrk -t1 -c${o.connections} -d${o.duration}s on CPU 1; ${o.rounds} rounds after ${o.warmup}s`);
  const load = (seconds) => Promise.all(targets.map((t) => runWrk({ url: t.url, seconds, connections: o.connections, cpu: 1 })));
  await load(o.warmup);

  const rows = [];
  for (let round = 1; round <= o.rounds; round++) {
    const before = targets.map((t) => cpuSeconds(t.pid));
    const results = await load(o.duration);
    const row = targets.map((t, i) => {
      const r = results[i];
      return { requests: r.requests, cpuUs: ((cpuSeconds(t.pid) - before[i]) * 1e6) / r.requests, errors: r.non2xx + r.socketErrors };
    });
    const [p, f] = row;
    if (!(p.requests > 0 && f.requests > 0)) {
      // wrk printed nothing usable for one side (seen once in many runs): a ratio of 0 or ∞ is no figure.
      console.log(`round ${round}: no result (proxy ${p.requests} req, floor ${f.requests} req): left out of the median`);
      continue;
    }
    rows.push(row);
    console.log(`round ${round}: proxy ${p.requests} req ${p.cpuUs.toFixed(1)} µs/req | floor ${f.requests} req ${f.cpuUs.toFixed(1)} µs/req | floor÷proxy requests ${(f.requests / p.requests).toFixed(3)}, CPU ratio ${(p.cpuUs / f.cpuUs).toFixed(3)}${p.errors || f.errors ? ` | errors ${p.errors}/${f.errors}` : ''}`);
  }
  if (rows.length === 0) throw new Error('no round gave a result');
  const byRequests = rows.map(([p, f]) => f.requests / p.requests);
  const byCpu = rows.map(([p, f]) => p.cpuUs / f.cpuUs);
  console.log(`\nproxy ÷ node floor, median of ${rows.length} rounds: ${median(byRequests).toFixed(3)} by requests completed (min ${Math.min(...byRequests).toFixed(3)}, max ${Math.max(...byRequests).toFixed(3)}), ${median(byCpu).toFixed(3)} by CPU µs/req`);
  await stopAll();
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
