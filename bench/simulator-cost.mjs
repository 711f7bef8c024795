#!/usr/bin/env node
// The simulator's own CPU cost at scale: it is the upstream in benchmarks, so its cost must not
// dominate. Starts the simulator in a child process (from dist/, so run `npm run build` first),
// opens one scan and one notification stream per gateway from this process, and reports the
// child's CPU time per second of wall time, idle and under load, plus the event rate received.
//
//   node bench/simulator-cost.mjs [--gateways 100] [--devices 100] [--seconds 20] [--warmup 5]
//
// Bounded: runs for warmup + seconds, then stops everything it started.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: {
    gateways: { type: 'string', default: '100' }, devices: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' },
    connected: { type: 'string', default: '5' }, child: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'default' },
  },
});

if (values.child) {
  const { createSimulator } = await import('../dist/src/simulator/index.js');
  const sim = await createSimulator({
    gateways: Number(values.gateways), capwap: Math.ceil(Number(values.gateways) / 2), devicesPerGateway: Number(values.devices),
    connectedPerGateway: Number(values.connected), profile: values.profile, seed: 1,
  });
  process.on('message', async (msg) => {
    if (msg === 'cpu') process.send({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, at: performance.now() });
    if (msg === 'stop') { await sim.close(); process.exit(0); }
  });
  process.send({ url: sim.url, gateways: sim.gateways });
} else {
  const child = fork(fileURLToPath(import.meta.url), ['--child', ...process.argv.slice(2)], { stdio: 'inherit' });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { url, gateways } = await next();
  const sample = async () => { child.send('cpu'); return next(); };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const cpuPercent = (a, b) => ((b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000 / (b.at - a.at)) * 100;

  // Idle: no streams open, nothing generated.
  let a = await sample();
  await sleep(3000);
  let b = await sample();
  const idle = cpuPercent(a, b);

  const tokenRes = await fetch(`${url}/api/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('sim-key:sim-secret').toString('base64')}`, 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' });
  const { access_token: token } = await tokenRes.json();
  let events = 0;
  let bytes = 0;
  const requests = [];
  for (const g of gateways) {
    for (const path of ['/api/gap/nodes?event=1', '/api/gatt/nodes?event=1&sequence=2']) {
      const req = request(`${url}${path}&mac=${g}&access_token=${token}`, (res) => {
        res.on('data', (chunk) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) if (chunk[i + 1] === 10) events++;
        });
        res.on('error', () => {});
      });
      req.on('error', () => {});
      req.end();
      requests.push(req);
    }
  }
  await sleep(Number(values.warmup) * 1000);
  a = await sample();
  const e0 = events;
  const b0 = bytes;
  await sleep(Number(values.seconds) * 1000);
  b = await sample();
  const seconds = (b.at - a.at) / 1000;
  const load = cpuPercent(a, b);
  const rate = (events - e0) / seconds;
  const expected = gateways.length * Number(values.devices) + gateways.length * Number(values.connected);
  for (const r of requests) r.destroy();
  child.send('stop');
  console.log(JSON.stringify({
    gateways: gateways.length, devicesPerGateway: Number(values.devices), streams: requests.length, profile: values.profile,
    idleCpuPercent: +idle.toFixed(2), loadCpuPercentOfOneCore: +load.toFixed(1),
    eventsPerSecond: Math.round(rate), expectedEventsPerSecond: expected, mibPerSecond: +((bytes - b0) / seconds / 1048576).toFixed(2),
    cpuMicrosPerEvent: +((load / 100) * 1e6 / rate).toFixed(2), rssMiB: Math.round(b.rss / 1048576),
  }, null, 1));
}
