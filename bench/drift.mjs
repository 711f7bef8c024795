// CPU per request over repeated 8-s wrk runs against ONE proxy process, optionally with idle gaps
// between runs (GAP=seconds), to see drift (GC state after idle). Env: RUNS (6), GAP, ROUTE, NODE_ARGS
// (node flags for the proxy child). Run from the repo root after `npm run build`: node bench/drift.mjs
import { PRODUCT_NODE_FLAGS, spawnPinned, firstJsonLine, stopAll, installCleanup, cpuSeconds, pinSelf, sleep } from './lib/procs.mjs';
import { runWrk } from './lib/wrk.mjs';
installCleanup();
pinSelf(1);
const upstream = spawnPinned(1, process.execPath, ['bench/lib/upstream-process.mjs']);
const { url: upUrl } = await firstJsonLine(upstream);
const extra = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
const proxy = spawnPinned(0, process.execPath, [...PRODUCT_NODE_FLAGS, ...extra, 'bench/lib/proxy-process.mjs', upUrl], { logPipe: true });
const { proxyUrl } = await firstJsonLine(proxy);
const path = process.env.ROUTE ?? '/api/gatt/nodes/C0:5A:22:10:4E:71/handle/14/value?mac=CC:1B:E0:E0:11:22';
for (let i = 0; i < Number(process.env.RUNS ?? 6); i++) {
  const c0 = cpuSeconds(proxy.pid);
  const r = await runWrk({ url: proxyUrl + path, seconds: 8, connections: 32, cpu: 1 });
  const c1 = cpuSeconds(proxy.pid);
  if (process.env.GAP) await sleep(Number(process.env.GAP) * 1000);
  console.log(`run ${i} ${Math.round(r.requests / 8)} req/s  CPU ${((c1 - c0) / r.requests * 1e6).toFixed(1)} µs/req`);
}
await stopAll();
process.exit(0);
