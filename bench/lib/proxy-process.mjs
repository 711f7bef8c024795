// Child-process launcher for the proxy under benchmark: builds a Config directly (no loader),
// starts the proxy from dist/ with metrics and access logging on, the logger writing to
// /dev/null (a real deployment pays the same serialisation), and prints one JSON line
// {"proxyUrl","adminUrl","pid"} on stdout. Usage: node proxy-process.mjs <upstream-url>
import { pino } from 'pino';
import { startProxy } from '../../dist/src/main.js';
import { bufferedDestination, createLogger } from '../../dist/src/log.js';

const upstream = process.argv[2];
if (!upstream) {
  console.error('usage: node bench/lib/proxy-process.mjs <upstream-url>');
  process.exit(2);
}

const config = {
  upstream: new URL(upstream),
  upstreamCa: null,
  upstreamInsecure: false,
  listen: { host: '127.0.0.1', port: 0 },
  admin: { host: '127.0.0.1', port: 0 },
  timeouts: { connect: 5000, headers: 30000, streamIdle: 75000, shutdown: 2000 },
  transport: { default: 'capwap', gateways: {}, expected: null },
  discovery: { enabled: false, interval: 60000, key: null, secret: null },
  sequence: { builtin: ['seqNum', 'ruuvi', 'eddystone-tlm'], extractors: [], reorderWindow: 64, reorderWindowTime: 5000 },
  limits: { maxGateways: 1000, maxTrackedDevices: 200000, maxEventBytes: 1048576 },
  // BENCH_ACCESS_LOG=0 turns the access log off, for diagnosis only (the benchmark keeps it on).
  log: { level: 'info', access: process.env.BENCH_ACCESS_LOG !== '0' },
  configFile: null,
  gatewaysFile: null,
};

// The same asynchronous sonic-boom destination a deployment logs to (there: fd 1).
// BENCH_LOG_SYNC=1 writes synchronously instead, for diagnosis only.
// The same buffered destination a deployment's stdout gets, pointed at /dev/null.
const logger = createLogger('info', process.env.BENCH_LOG_SYNC === '1' ? pino.destination({ dest: '/dev/null', sync: true }) : bufferedDestination('/dev/null'));
const running = await startProxy(config, { logger });
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
