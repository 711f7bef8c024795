// Stand-in application for docker-compose: the demo's client workload (token, hub list, scan
// and notification streams with sequence=2, connects, reads, writes), pointed at the proxy.
// Mounted into the proxy image at /app/workload.mjs.
import { startWorkload } from './dist/src/demo/workload.js';

const baseUrl = process.env.TARGET_URL ?? 'http://proxy:8080';
const workload = startWorkload({
  baseUrl,
  key: process.env.CASSIA_AC_KEY ?? 'sim-key',
  secret: process.env.CASSIA_AC_SECRET ?? 'sim-secret',
  logger: { warn: (obj, msg) => console.warn(msg ?? '', JSON.stringify(obj)) },
});
console.warn(`workload running against ${baseUrl}`);
const timer = setInterval(() => console.warn(JSON.stringify(workload.stats())), 60_000);
const stop = async () => {
  clearInterval(timer);
  await workload.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
