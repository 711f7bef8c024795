/**
 * The proxy listener: a plain node:http server (express would cost ~4x the CPU per request,
 * PERFORMANCE-NOTES.md) forwarding every request to the one configured upstream through an
 * undici Pool with keep-alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config, StreamKind } from '../config/types.js';
import { routeTemplate } from '../classify/routes.js';
import type { GatewayRegistry } from '../gateways/registry.js';
import { NO_GATEWAY } from '../gateways/registry.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StreamTap } from '../streams/types.js';
import { Exchange, type ExchangeContext } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import { methodLabel, type Recorder } from './recorder.js';
import { parseTarget } from './target.js';

/** Opens an analysis tap for an SSE response; null = no analysis. */
export type TapFactory = (kind: StreamKind, gateway: string | null, query: string) => StreamTap | null;
/** Opens a tap on a plain response body (route template, status); null = not interesting. */
export type BodyTapFactory = (route: string, status: number) => StreamTap | null;

export interface ProxyServer {
  server: Server;
  /** Bound address, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Applies a reloaded config (timeouts, upstream, TLS); in-flight requests keep their pool. */
  reconfigure(config: Config): void;
  /** In-flight exchanges (streams included). */
  inFlight(): number;
  /** Stops accepting, ends streams, waits for in-flight requests up to `timeouts.shutdown`, then cuts the rest. */
  close(): Promise<void>;
}

export interface ProxyDeps {
  config: Config;
  metrics: Metrics;
  gateways: GatewayRegistry;
  recorder: Recorder;
  openTap: TapFactory;
  openBodyTap?: BodyTapFactory;
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

interface Upstream {
  pool: Pool;
  origin: string;
  basePath: string;
}

function createUpstream(config: Config, log: Logger): Upstream {
  const url = config.upstream;
  if (!url) throw new Error('no upstream configured');
  const ca = config.upstreamCa ? readFileSync(config.upstreamCa) : undefined;
  if (config.upstreamInsecure) {
    log.warn({ upstream: url.origin }, 'upstream TLS certificate verification is OFF (upstreamInsecure): anyone on the path can impersonate the AC');
  }
  const pool = new Pool(url.origin, {
    connections: null,
    pipelining: 1,
    connect: {
      timeout: config.timeouts.connect,
      ...(ca ? { ca } : {}),
      ...(config.upstreamInsecure ? { rejectUnauthorized: false } : {}),
    },
    headersTimeout: config.timeouts.headers,
    bodyTimeout: config.timeouts.streamIdle,
  });
  // Connection-level failures also reach each request's onError; this only keeps them from being unhandled.
  pool.on('connectionError', () => undefined);
  return { pool, origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/** Creates the proxy listener and binds it to `config.listen`. */
export async function createProxyServer(deps: ProxyDeps): Promise<ProxyServer> {
  const { metrics, gateways, recorder, log } = deps;
  let config = deps.config;
  let upstream = createUpstream(config, log);
  /** Pools replaced by a reload, closing once their in-flight requests (streams too) end. */
  const retired = new Set<Pool>();
  const exchanges = new InFlight();
  let closing = false;

  const ctx: ExchangeContext = {
    recorder,
    openTap: (kind, gateway, query) => guard('stream_tap', () => deps.openTap(kind, gateway, query), metrics, log),
    openBodyTap: (route, status) => (deps.openBodyTap ? guard('body_tap', () => deps.openBodyTap?.(route, status) ?? null, metrics, log) : null),
    release: (exchange) => exchanges.delete(exchange),
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const target = parseTarget(req.url ?? '/');
    const transportOfGateway = target?.gateway ? gateways.transportOf(target.gateway) : 'none';
    if (!target || closing) {
      refuse(res, target ? 503 : 400, target ? 'shutdown' : 'bad_request', started, method, target?.pathname ?? '', recorder, transportOfGateway);
      return;
    }
    const route = routeTemplate(target.pathname);
    const gateway = target.gateway ? gateways.label(target.gateway) : NO_GATEWAY;
    const contentLength = req.headers['content-length'];
    const hasBody = contentLength !== undefined ? contentLength !== '0' : req.headers['transfer-encoding'] !== undefined;
    const exchange = new Exchange(
      ctx, res, started, route, target.pathname, target.query, methodLabel(method),
      target.gateway, gateway, transportOfGateway, contentLength ? Number(contentLength) || 0 : 0,
    );
    exchanges.add(exchange);
    upstream.pool.dispatch(
      {
        origin: upstream.origin,
        path: upstream.basePath + target.path,
        method: method as Dispatcher.HttpMethod,
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
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const body = '{"error":"bad_request","proxy":"cassia-ac-proxy"}';
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
      `x-cassia-proxy-error: bad_request\r\nallow: GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS\r\nconnection: close\r\n\r\n${body}`,
    );
    recordRefusal(recorder, 'CONNECT', 405, 'bad_request', 0, req.url ?? '');
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;

  return {
    server,
    url: `http://${host}:${port}`,
    inFlight: () => exchanges.size,
    reconfigure(next) {
      const changed = next.upstream?.href !== config.upstream?.href || next.upstreamCa !== config.upstreamCa
        || next.upstreamInsecure !== config.upstreamInsecure || next.timeouts.connect !== config.timeouts.connect;
      if (changed) {
        const replacement = createUpstream(next, log);
        const old = upstream.pool;
        retired.add(old);
        void old.close().catch(() => undefined).finally(() => retired.delete(old));
        upstream = replacement;
      }
      config = next;
    },
    async close() {
      closing = true;
      server.close();
      server.closeIdleConnections();
      for (const exchange of exchanges.list()) if (exchange.stream) exchange.shutdown();
      const deadline = Date.now() + config.timeouts.shutdown;
      while (exchanges.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const exchange of exchanges.list()) exchange.shutdown();
      server.closeAllConnections();
      await Promise.all([upstream.pool, ...retired].map((pool) => pool.destroy().catch(() => undefined)));
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

function refuse(res: ServerResponse, status: number, reason: 'bad_request' | 'shutdown', started: number, method: string, pathname: string, recorder: Recorder, transport: string): void {
  const body = `{"error":"${reason}","proxy":"cassia-ac-proxy"}`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-cassia-proxy-error': reason,
    ...(reason === 'shutdown' ? { connection: 'close' } : {}),
  });
  res.end(body);
  recordRefusal(recorder, method, status, reason, performance.now() - started, pathname, transport);
}

function recordRefusal(recorder: Recorder, method: string, status: number, reason: 'bad_request' | 'shutdown', ms: number, pathname: string, transport = 'none'): void {
  const route = pathname ? routeTemplate(pathname.split('?')[0] ?? '') : 'other';
  recorder.headers(route, methodLabel(method), transport, ms / 1000);
  recorder.finish({
    route, method: methodLabel(method), gateway: NO_GATEWAY, transport,
    outcome: { origin: 'proxy', reason, status }, headersMs: ms, totalMs: ms,
    bytesIn: 0, bytesOut: 0, stream: null, streamEnd: null,
  });
}
