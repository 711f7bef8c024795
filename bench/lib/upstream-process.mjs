// Child-process upstream for the request benchmark: a node:http server with keep-alive
// answering every request with a fixed ~621-byte JSON body shaped like a Cassia
// `/api/cassia/hubs` answer, except connects (ERROR_PATH), answered 500 `chip is busy` as a
// gateway does. Prints {"url","pid"} as one JSON line on stdout.
import { createServer } from 'node:http';
import { ERROR_BODY, hubsBody } from './fixtures.mjs';

const body = Buffer.from(hubsBody());
const error = Buffer.from(ERROR_BODY);
const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  req.resume();
  if (req.url?.includes('/connection')) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': error.length });
    res.end(error);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid, bodyBytes: body.length })}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
