// Child-process launcher for the proxy under benchmark: builds a Config directly (no loader),
// starts the proxy from dist/ with metrics and access logging on, the logger writing into a
// drained FIFO (a real deployment pays the same serialisation and writes), and prints one JSON line
// {"proxyUrl","adminUrl","pid"} on stdout. Usage: node proxy-process.mjs <upstream-url>
import { fstatSync } from 'node:fs';
import { pino } from 'pino';
import { startProxy } from '../../dist/src/main.js';
import { bufferedDestination, createLogOutput } from '../../dist/src/log.js';
import { DEFAULTS } from '../../dist/src/config/load.js';

const upstream = process.argv[2];
if (!upstream) {
  console.error('usage: node bench/lib/proxy-process.mjs <upstream-url>');
  process.exit(2);
}

// The product defaults (as a deployment without a config file gets them), loopback port 0.
const config = {
  ...DEFAULTS,
  upstream: new URL(upstream),
  listen: { host: '127.0.0.1', port: 0 },
  admin: { host: '127.0.0.1', port: 0 },
  timeouts: { ...DEFAULTS.timeouts, shutdown: 2000 },
  transport: { ...DEFAULTS.transport, default: 'capwap' },
  // BENCH_REQUEST_SEQUENCE=1: sequence.request on (bench/sse-latency.mjs --request-sequence).
  sequence: { ...DEFAULTS.sequence, request: process.env.BENCH_REQUEST_SEQUENCE === '1' },
  // BENCH_ACCESS_LOG=0 turns the access log off, for diagnosis only (the benchmark keeps it on).
  log: { level: 'info', access: process.env.BENCH_ACCESS_LOG !== '0' },
  configFile: null,
  gatewaysFile: null,
  // BENCH_PROXY_CONFIG: JSON of sections to override (e.g. discovery and probe for bench/probe-cpu.mjs).
  ...JSON.parse(process.env.BENCH_PROXY_CONFIG ?? '{}'),
};

// The same buffered destination a deployment's stdout gets (src/log-writer.ts), writing into a
// FIFO the benchmark drains (fd 3, from bench/lib/procs.mjs `logPipe`), as into the FIFO a
// container runtime gives a container's stdout; /dev/null when started without one.
// BENCH_LOG_SYNC=1 writes synchronously through pino instead, for diagnosis only.
const logTarget = (() => {
  try {
    return fstatSync(3).isFIFO() ? 3 : '/dev/null';
  } catch {
    return '/dev/null';
  }
})();
const log = createLogOutput('info', process.env.BENCH_LOG_SYNC === '1' ? pino.destination({ dest: '/dev/null', sync: true }) : bufferedDestination(logTarget));
const running = await startProxy(config, { log });
process.stdout.write(`${JSON.stringify({ proxyUrl: running.proxyUrl, adminUrl: running.adminUrl, pid: process.pid })}\n`);

const stop = () => {
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  running.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent going away (stdin closed) also stops the proxy, so no child outlives a crashed bench.
process.stdin.on('end', stop);
process.stdin.resume();
