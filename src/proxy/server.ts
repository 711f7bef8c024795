/**
 * The proxy listener: a plain node:http server (express would cost ~4x the CPU per request,
 * bench/README.md) forwarding every request to the one configured upstream through the current
 * generation's undici Pool. Each request is bound to the generation it arrived in: a reload
 * swaps the generation for new requests while in-flight ones finish on their own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config, HostPort, StreamKind } from '../config/types.js';
import { routeTemplate } from '../classify/routes.js';
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StreamTap } from '../streams/types.js';
import { rawProxyError, sendProxyError } from './errors.js';
import { Exchange, type ExchangeContext } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import { methodLabel, type Recorder } from './recorder.js';
import { parseTarget } from './target.js';
import type { Upstream } from './upstream.js';

/** Opens an analysis tap for an SSE response; null = no analysis. */
export type TapFactory = (kind: StreamKind, gateway: GatewayHandle) => StreamTap | null;
/** Opens a tap on a plain response body (route template, status); null = not interesting. */
export type BodyTapFactory = (route: string, status: number) => StreamTap | null;

/** The parts of a configuration generation the listener reads per request. */
export interface ProxyGeneration {
  readonly config: Config;
  readonly directory: GatewayDirectory;
  readonly upstream: Upstream;
}

export interface ProxyServer {
  server: Server;
  /** Bound address, e.g. http://127.0.0.1:8080 */
  url: string;
  /** In-flight exchanges (streams included). */
  inFlight(): number;
  /** Stops accepting, ends streams, waits for in-flight requests up to `shutdownMs`, then cuts the rest. */
  close(shutdownMs: number): Promise<void>;
}

export interface ProxyDeps {
  listen: HostPort;
  /** The current generation; read once per request. */
  generation: () => ProxyGeneration;
  recorder: Recorder;
  openTap: TapFactory;
  openBodyTap?: BodyTapFactory;
  metrics: Metrics;
  log: Logger;
}

/**
 * The in-flight exchanges, as an intrusive doubly linked list (links on the Exchange itself).
 * Not a Set: with a Set.add/delete per request, V8 promoted every request's whole object graph
 * (req, res, undici Request, Exchange) to old space, ~3 KB per request (sampling heap profiler,
 * objects that survived scavenges), so scavenges took ~4 ms and Mark-Compacts came every
 * ~0.3-1 s under load; with this list ~0.3-0.5 KB per request. Unlinking clears the exchange's
 * own links, so a finished exchange references no other.
 */
class InFlight {
  private head: Exchange | null = null;
  size = 0;

  add(exchange: Exchange): void {
    exchange.nextInFlight = this.head;
    if (this.head) this.head.prevInFlight = exchange;
    this.head = exchange;
    this.size++;
  }

  delete(exchange: Exchange): void {
    const { prevInFlight: prev, nextInFlight: next } = exchange;
    if (prev) prev.nextInFlight = next;
    else if (this.head === exchange) this.head = next;
    else return; // not in the list
    if (next) next.prevInFlight = prev;
    exchange.prevInFlight = null;
    exchange.nextInFlight = null;
    this.size--;
  }

  /** A copy, so that callers may end exchanges (which unlinks them) while going through it. */
  list(): Exchange[] {
    const out: Exchange[] = [];
    for (let x = this.head; x; x = x.nextInFlight) out.push(x);
    return out;
  }
}

/** Creates the proxy listener and binds it to `deps.listen`. */
export async function createProxyServer(deps: ProxyDeps): Promise<ProxyServer> {
  const { metrics, recorder, log } = deps;
  const exchanges = new InFlight();
  let closing = false;

  const openTap: ExchangeContext['openTap'] = (kind, gateway) => guard('stream_tap', () => deps.openTap(kind, gateway), metrics, log);
  const openBodyTap: ExchangeContext['openBodyTap'] = deps.openBodyTap
    ? (route, status) => guard('body_tap', () => deps.openBodyTap?.(route, status) ?? null, metrics, log)
    : () => null;
  const release = (exchange: Exchange): void => exchanges.delete(exchange);
  // One context per generation, made when its first request arrives.
  let contextOf: ProxyGeneration | null = null;
  let context: ExchangeContext | null = null;
  const contextFor = (gen: ProxyGeneration): ExchangeContext => {
    if (gen !== contextOf || context === null) {
      const { directory } = gen;
      const vouch = (gateway: GatewayHandle): GatewayHandle => (gateway.pending === null ? gateway : directory.vouch(gateway.pending));
      context = { recorder, accessLog: gen.config.log.access, openTap, openBodyTap, vouch, release };
      contextOf = gen;
    }
    return context;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const gen = deps.generation();
    const method = methodLabel(req.method ?? 'GET');
    const target = parseTarget(req.url ?? '/');
    const gateway = target?.mac != null ? gen.directory.resolveRaw(target.mac) : gen.directory.resolve(null);
    if (!target || closing) {
      const reason = target ? 'shutdown' : 'bad_request';
      sendProxyError(res, target ? 503 : 400, reason, reason === 'shutdown' ? { connection: 'close' } : {});
      recordRefusal(contextFor(gen), method, target ? 503 : 400, reason, performance.now() - started, target?.pathname ?? null, gateway);
      return;
    }
    const contentLength = req.headers['content-length'];
    const hasBody = contentLength !== undefined ? contentLength !== '0' : req.headers['transfer-encoding'] !== undefined;
    const exchange = new Exchange(contextFor(gen), res, {
      started,
      route: routeTemplate(target.pathname),
      pathname: target.pathname,
      method,
      gateway,
      bytesIn: contentLength ? Number(contentLength) || 0 : 0,
    });
    exchanges.add(exchange);
    const { upstream, config } = gen;
    upstream.pool.dispatch(
      {
        origin: upstream.origin,
        path: upstream.basePath + target.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(req.rawHeaders, { clientIp: req.socket.remoteAddress, proto: 'http' }),
        body: hasBody ? req : null,
        headersTimeout: config.timeouts.headers,
        bodyTimeout: config.timeouts.streamIdle,
      },
      exchange,
    );
  };

  const server = createServer({ noDelay: true, keepAlive: true }, handle);
  // CONNECT would turn the proxy into a tunnel to anywhere: refuse it, never dial.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.end(rawProxyError(405, 'bad_request', { allow: 'GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS' }));
    const gen = deps.generation();
    recordRefusal(contextFor(gen), 'CONNECT', 405, 'bad_request', 0, null, gen.directory.resolve(null));
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  server.listen(deps.listen.port, deps.listen.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.listen.port;
  const host = deps.listen.host.includes(':') ? `[${deps.listen.host}]` : deps.listen.host;

  return {
    server,
    url: `http://${host}:${port}`,
    inFlight: () => exchanges.size,
    async close(shutdownMs) {
      closing = true;
      server.close();
      server.closeIdleConnections();
      for (const exchange of exchanges.list()) if (exchange.stream) exchange.shutdown();
      const deadline = Date.now() + shutdownMs;
      while (exchanges.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const exchange of exchanges.list()) exchange.shutdown();
      server.closeAllConnections();
    },
  };
}

/** Wraps a tap so that a fault in analysis is counted and logged once, and never reaches traffic. */
function guard(component: string, open: () => StreamTap | null, metrics: Metrics, log: Logger): StreamTap | null {
  let tap: StreamTap | null;
  try {
    tap = open();
  } catch (err) {
    metrics.analysisErrors.labels(component).inc();
    log.error({ err, component }, 'analysis failed to start; forwarding continues without it');
    return null;
  }
  if (!tap) return null;
  const inner = tap;
  let broken = false;
  const fail = (err: unknown): void => {
    broken = true;
    metrics.analysisErrors.labels(component).inc();
    log.error({ err, component }, 'analysis failed; forwarding continues, this response is no longer analysed');
  };
  return {
    write(chunk) {
      if (broken) return;
      try {
        inner.write(chunk);
      } catch (err) {
        fail(err);
      }
    },
    close() {
      if (broken) return;
      try {
        inner.close();
      } catch (err) {
        fail(err);
      }
    },
  };
}

/** Records a request the proxy answered itself without forwarding it. */
function recordRefusal(
  ctx: ExchangeContext, method: string, status: number, reason: 'bad_request' | 'shutdown', ms: number,
  pathname: string | null, gateway: GatewayHandle,
): void {
  const route = pathname === null ? 'other' : routeTemplate(pathname);
  ctx.recorder.headers(route, method, gateway.transport, ms / 1000);
  ctx.recorder.finish({
    route, method, gateway, outcome: { origin: 'proxy', reason, status }, headersMs: ms, totalMs: ms,
    bytesIn: 0, bytesOut: 0, stream: null, streamEnd: null,
  }, ctx.accessLog);
}
