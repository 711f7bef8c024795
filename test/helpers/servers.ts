/** Real servers on loopback port 0 for tests, closed with every connection on teardown. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogOutput, type LogOutput } from '../../src/log.js';

export interface TestServer<S> {
  server: S;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP upstream with the given handler. */
export async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer<Server>> {
  const server = createServer(handler);
  return listenOnLoopback(server, () => server.closeAllConnections());
}

/** A raw TCP server: the handler gets each socket (for malformed or stalled upstreams). */
export async function tcpServer(onSocket: (socket: Socket) => void): Promise<TestServer<NetServer>> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return listenOnLoopback(server, () => { for (const s of sockets) s.destroy(); });
}

/** Listens on 127.0.0.1 port 0; `close()` first drops connections with `dropConnections`. */
async function listenOnLoopback<S extends Server | NetServer>(server: S, dropConnections: () => void): Promise<TestServer<S>> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      dropConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const t = await tcpServer(() => undefined);
  await t.close();
  return t.port;
}

/** A log whose lines are kept for assertions: pass `log` to startProxy, or use `logger` alone. */
export function capturedLogger(level = 'info'): { logger: Logger; log: LogOutput; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      cb();
    },
  });
  const log = createLogOutput(level, sink);
  return { logger: log.logger, log, lines };
}
