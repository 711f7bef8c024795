// CPU an idle proxy uses per second (timers, event-loop monitor, housekeeping), from /proc over 10 s.
// NODE_ARGS passes node flags to the proxy child. Run from the repo root after `npm run build`.
import { PRODUCT_NODE_FLAGS, spawnPinned, firstJsonLine, stopAll, installCleanup, cpuSeconds, sleep } from './lib/procs.mjs';
installCleanup();
const upstream = spawnPinned(1, process.execPath, ['bench/lib/upstream-process.mjs']);
const { url } = await firstJsonLine(upstream);
const proxy = spawnPinned(0, process.execPath, [...PRODUCT_NODE_FLAGS, ...(process.env.NODE_ARGS ?? '').split(' ').filter(Boolean), 'bench/lib/proxy-process.mjs', url], { logPipe: true });
await firstJsonLine(proxy);
await sleep(3000);
const c0 = cpuSeconds(proxy.pid);
await sleep(10000);
console.log(`idle CPU: ${((cpuSeconds(proxy.pid) - c0) / 10 * 1000).toFixed(1)} ms per second`);
await stopAll();
process.exit(0);
