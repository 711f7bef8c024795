// The floor of probing for bench/probe-cpu.mjs: a bare Node process that makes the same calls at
// the same pace as the proxy's probes (one `GET /api/gap/nodes?connection_state=connected&mac=…`
// every 1000/rate ms, round the gateways, one undici Pool, one token) and nothing else: no
// metrics, no report, no scheduler state. Prints {"pid"} once it has its token.
// Usage: node request-loop.mjs <simulator-url> <key> <secret> <rate per second> <MAC,MAC,…>
import { Pool } from 'undici';

const [url, key, secret, rateText, macList] = process.argv.slice(2);
const rate = Number(rateText);
const macs = (macList ?? '').split(',');
const pool = new Pool(url, { connections: null, pipelining: 1 });
const res = await pool.request({
  path: '/api/oauth2/token', method: 'POST',
  headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});
const { access_token: token } = await res.body.json();
let i = 0;
const tick = () => {
  const mac = macs[i++ % macs.length];
  pool.request({ path: `/api/gap/nodes?connection_state=connected&mac=${mac}`, method: 'GET', headers: { authorization: `Bearer ${token}` } })
    .then((r) => r.body.dump(), () => undefined);
  setTimeout(tick, 1000 / rate);
};
tick();
process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
