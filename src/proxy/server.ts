/**
 * The proxy listener: a plain node:http server (express would cost ~4x the CPU per request,
 * bench/README.md) forwarding every request to the one configured upstream through the current
 * generation's undici Pool. Each request is bound to the generation it arrived in: a reload
 * swaps the generation for new requests while in-flight ones finish on their own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config, HostPort, StreamKind } from '../config/types.js';
import { CLIENT_ERROR_REASONS, clientErrorAnswer, type ClientErrorReason } from '../classify/client-error.js';
import { routeTemplate } from '../classify/routes.js';
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StreamTap } from '../streams/types.js';
import { proxyErrorBody, rawProxyError, sendProxyError } from './errors.js';
import { Exchange, type ExchangeContext } from './exchange.js';
import { upstreamRequestHeaders, type RequestFraming } from './headers.js';
import { methodLabel, type Recorder } from './recorder.js';
import { requestBody } from './request-body.js';
import { SequenceRequestExchange, sequenceRequestPath } from './sequence-request.js';
import { createUnknownFailureLog } from './unknown-failures.js';
import { parseTarget } from './target.js';
import type { Upstream } from './upstream.js';

/** Opens an analysis tap for an SSE response (`sequenceRequested`: the proxy added `sequence=2`); null = no analysis. */
export type TapFactory = (kind: StreamKind, gateway: GatewayHandle, sequenceRequested: boolean) => StreamTap | null;
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
  /** Applies a (reloaded) configuration's client timeouts and connection cap to the listener. */
  configure(config: Config): void;
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

  /** The exchange answering on `res` (linear, for rare events only). */
  find(res: unknown): Exchange | null {
    for (let x = this.head; x; x = x.nextInFlight) if (x.answersOn(res)) return x;
    return null;
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

  const analysisFailed = (component: string, err: unknown, msg: string): void => {
    metrics.analysisErrors.labels(component).inc();
    log.error({ err, component }, msg);
  };
  const openTap: ExchangeContext['openTap'] = (kind, gateway, sequenceRequested) => {
    try {
      return guard('stream_tap', deps.openTap(kind, gateway, sequenceRequested), analysisFailed);
    } catch (err) {
      analysisFailed('stream_tap', err, 'analysis failed to start; forwarding continues without it');
      return null;
    }
  };
  const bodyTaps = deps.openBodyTap;
  // Runs on every plain response: no closure per call.
  const openBodyTap: ExchangeContext['openBodyTap'] = bodyTaps
    ? (route, status) => {
      try {
        return guard('body_tap', bodyTaps(route, status), analysisFailed);
      } catch (err) {
        analysisFailed('body_tap', err, 'analysis failed to start; forwarding continues without it');
        return null;
      }
    }
    : () => null;
  const release = (exchange: Exchange): void => exchanges.delete(exchange);
  const sequenceFallback: ExchangeContext['sequenceFallback'] = (stream, gateway, reason) => {
    try {
      metrics.sequenceRequestFallbacks.labels(stream, gateway.transport, reason).inc();
      log.warn({ stream, gateway: gateway.label, reason }, 'requested sequence numbers: this stream is forwarded as the AC sends it from now on (seqNum included)');
    } catch {
      // Accounting never reaches the stream.
    }
  };
  const unknownFailure = createUnknownFailureLog(log);
  const clientErrorCells = new Map(CLIENT_ERROR_REASONS.map((reason) => [reason, metrics.clientErrors.cell(reason)]));
  const clientError = (reason: ClientErrorReason): void => {
    const cell = clientErrorCells.get(reason);
    if (cell) cell.value += 1;
  };
  // One context per generation, made when its first request arrives.
  let contextOf: ProxyGeneration | null = null;
  let context: ExchangeContext | null = null;
  const contextFor = (gen: ProxyGeneration): ExchangeContext => {
    if (gen !== contextOf || context === null) {
      const { directory } = gen;
      const vouch = (gateway: GatewayHandle): GatewayHandle => (gateway.pending === null ? gateway : directory.vouch(gateway.pending));
      context = {
        recorder, accessLog: gen.config.log.access, openTap, openBodyTap, vouch, release, clientError, unknownFailure,
        clientStallMs: gen.config.timeouts.streamIdle,
        requestSequence: gen.config.sequence.request, maxEventBytes: gen.config.limits.maxEventBytes, sequenceFallback,
      };
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
    const framing: RequestFraming = { host: false, hasBody: false, transferEncoding: null };
    const headers = target && !closing ? upstreamRequestHeaders(req.rawHeaders, { clientIp: req.socket.remoteAddress, proto: 'http' }, framing) : null;
    if (!target || closing || !headers || !requestOk(req, framing)) {
      const reason = target && closing ? 'shutdown' : 'bad_request';
      const status = reason === 'shutdown' ? 503 : 400;
      // A malformed request may have more bytes behind it that cannot be framed: close.
      const sent = sendProxyError(res, status, reason, { connection: 'close' });
      if (reason === 'bad_request') clientError('bad_request');
      recordRefusal(contextFor(gen), method, status, reason, performance.now() - started, target?.pathname ?? null, gateway, sent);
      return;
    }
    const ctx = contextFor(gen);
    const start = { started, route: routeTemplate(target.pathname), pathname: target.pathname, method, gateway };
    // Only with sequence.request on does a request look further (sequence-request.ts).
    const sequencePath = ctx.requestSequence ? sequenceRequestPath(method, start.route, target.path) : null;
    const exchange = sequencePath === null ? new Exchange(ctx, res, start) : new SequenceRequestExchange(ctx, res, start);
    exchanges.add(exchange);
    const { upstream, config } = gen;
    upstream.pool.dispatch(
      {
        origin: upstream.origin,
        path: upstream.basePath + (sequencePath ?? target.path),
        method: req.method as Dispatcher.HttpMethod,
        headers,
        // undici reads async iterables (Dispatcher.md: `body`), its types only list streams.
        body: framing.hasBody ? (requestBody(req, config.timeouts.clientBody, exchange) as unknown as Readable) : null,
        headersTimeout: config.timeouts.headers,
        bodyTimeout: config.timeouts.streamIdle,
      },
      exchange,
    );
  };

  const initial = deps.generation().config;
  const server = createServer({
    noDelay: true,
    keepAlive: true,
    // Only timeouts.clientHeaders (node's headersTimeout) limits how long a request takes to
    // arrive; node's requestTimeout (the whole request, body included: 5 min by default) is off,
    // because a request body is limited by its idle time instead (request-body.ts). Neither ever
    // applies to a response: an event stream runs as long as it sends.
    requestTimeout: 0,
    headersTimeout: initial.timeouts.clientHeaders,
    // node checks both only every connectionsCheckingInterval (30 s by default): a tenth of the
    // headers timeout, between 50 ms and 1 s, keeps a 408 within 10 % of its deadline.
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.round(initial.timeouts.clientHeaders / 10))),
    // A request without Host (HTTP/1.1) gets the proxy's own JSON 400 (handle), not node's bare one.
    requireHostHeader: false,
  }, handle);
  const configure = (config: Config): void => {
    server.headersTimeout = config.timeouts.clientHeaders;
    server.keepAliveTimeout = config.timeouts.clientKeepAlive;
    server.maxConnections = config.limits.maxClientConnections;
  };
  configure(initial);
  // Past limits.maxClientConnections node closes a new connection at once, before reading from it.
  server.on('drop', () => clientError('connection_limit'));
  // CONNECT would turn the proxy into a tunnel to anywhere: refuse it, never dial.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    socket.end(rawProxyError(405, 'bad_request', { allow: 'GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS' }));
    socket.destroySoon();
    clientError('bad_request');
    const gen = deps.generation();
    recordRefusal(contextFor(gen), 'CONNECT', 405, 'bad_request', 0, null, gen.directory.resolve(null), proxyErrorBody('bad_request').length);
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    socket.on('error', () => undefined);
    const answer = clientErrorAnswer(err.code);
    // The response on this connection, if a request is in flight on it (node's own check).
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    if (!answer || !socket.writable) {
      socket.destroy();
      return;
    }
    if (res === null) {
      // No request yet: headers incomplete, too large or malformed.
      clientError(answer.reason);
      socket.end(rawProxyError(answer.status, answer.reason));
      socket.destroySoon();
      return;
    }
    if (!res.req.complete) {
      // The in-flight request's own body is malformed (e.g. a bad chunk size).
      const exchange = exchanges.find(res);
      // Forwarded: answer 400 (or cut the response if one started), cancel the upstream request.
      if (exchange) exchange.clientFailed(400, 'bad_request');
      // Already answered by the proxy (a refusal, counted then): just close.
      else socket.destroySoon();
      return;
    }
    // A request pipelined behind the in-flight one is broken (headers incomplete, too large or
    // malformed). The response in flight finishes untouched (an event stream too: no client
    // timer ever ends a flowing response); then the broken request gets its answer, in order,
    // and the connection closes.
    clientError(answer.reason);
    const answerAndClose = (): void => {
      if (socket.writable) socket.end(rawProxyError(answer.status, answer.reason));
      socket.destroySoon();
    };
    if (res.writableFinished) answerAndClose();
    else res.once('finish', answerAndClose);
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
    configure,
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

/** Wraps an open tap so that a fault in analysis is counted and logged once, and never reaches traffic. */
function guard(component: string, tap: StreamTap | null, failed: (component: string, err: unknown, msg: string) => void): StreamTap | null {
  if (!tap) return null;
  const inner = tap;
  let broken = false;
  const fail = (err: unknown): void => {
    broken = true;
    failed(component, err, 'analysis failed; forwarding continues, this response is no longer analysed');
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

/**
 * Whether the proxy will forward the request at all (RFC 9112 §3.2, §6.3):
 * - an HTTP/1.1 request must carry Host (node's own check is off so that the answer is the
 *   proxy's JSON 400; a second Host field is caught by upstreamRequestHeaders);
 * - node's parser refuses every other smuggling shape before the request gets here, but a
 *   request Transfer-Encoding whose last coding is not `chunked` (`xchunked`, `chunked,
 *   identity`) only when its body is parsed, after the request was handed over: refuse it here
 *   so that it is never forwarded.
 */
function requestOk(req: IncomingMessage, framing: RequestFraming): boolean {
  if (!framing.host && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) return false;
  const te = framing.transferEncoding;
  return te === null || /(?:^|,)[ \t]*chunked[ \t]*$/i.test(te);
}

/** Records a request the proxy answered itself without forwarding it. */
function recordRefusal(
  ctx: ExchangeContext, method: string, status: number, reason: 'bad_request' | 'shutdown', ms: number,
  pathname: string | null, gateway: GatewayHandle, bytesOut: number,
): void {
  const route = pathname === null ? 'other' : routeTemplate(pathname);
  ctx.recorder.headers(route, method, gateway.transport, ms / 1000);
  ctx.recorder.finish({
    route, method, gateway, outcome: { origin: 'proxy', reason, status }, headersMs: ms, totalMs: ms,
    endedAt: Date.now(), bytesIn: 0, bytesOut, stream: null, streamEnd: null, sequenceRequested: false,
  }, ctx.accessLog);
}
