// The floor for any Node proxy on this machine: node:http + undici Pool `stream()` with no
// metrics, no logging and no header hygiene (the `node-floor` reference of bench/README.md).
// Prints {"proxyUrl","pid"}. Usage: node baseline-proxy.mjs <upstream-url>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2]);
const pool = new Pool(upstream.origin, { connections: null, pipelining: 1 });

const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  pool.stream(
    { path: req.url, method: req.method, headers: { host: upstream.host }, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, { 'content-type': headers['content-type'], 'content-length': headers['content-length'] });
      return res;
    },
    (err) => {
      if (err && !res.headersSent) {
        res.writeHead(502);
        res.end();
      }
    },
  );
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ proxyUrl: `http://127.0.0.1:${server.address().port}`, pid: process.pid })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close();
  pool.destroy().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
