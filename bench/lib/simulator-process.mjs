// Child-process launcher for the simulator under a benchmark: starts it from dist/ on loopback
// port 0 with the options given as one JSON argument, and prints one JSON line
// {"url","key","secret","gateways","pid"} on stdout. Control and truth go over its HTTP
// endpoints (/__sim/faults, /__sim/truth, /__sim/close-streams).
// Usage: node simulator-process.mjs '{"gateways":20,...}'
import { createSimulator } from '../../dist/src/simulator/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const sim = await createSimulator(options);
process.stdout.write(`${JSON.stringify({ url: sim.url, key: sim.key, secret: sim.secret, gateways: sim.gateways, pid: process.pid })}\n`);

const stop = () => {
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  sim.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent going away (stdin closed) also stops the simulator.
process.stdin.on('end', stop);
process.stdin.resume();
