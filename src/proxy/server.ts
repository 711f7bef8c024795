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
import type { Config, HostPort } from '../config/types.js';
import { CLIENT_ERROR_REASONS, type ClientErrorReason } from '../classify/client-error.js';
import { routeTemplate } from '../classify/routes.js';
import type { GatewayDirectory } from '../gateways/directory.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { Metrics } from '../metrics/metrics.js';
import { sendProxyError } from './errors.js';
import { Exchange, type ExchangeContext } from './exchange.js';
import { upstreamRequestHeaders, type RequestFraming } from './headers.js';
import { InFlight } from './in-flight.js';
import { methodLabel, type ExchangeRecorder } from './recorder.js';
import { answerClientError, recordRefusal, refuseConnect, requestOk } from './refusals.js';
import { requestBody } from './request-body.js';
import { SequenceRequestExchange, sequenceRequestPath } from './sequence-request.js';
import { createUnknownFailureLog } from './unknown-failures.js';
import { parseTarget } from './target.js';
import { guardTaps, type TapFactory } from './taps.js';
import type { BodyTapFactory } from '../tap.js';
import type { Upstream } from './upstream.js';

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
  recorder: ExchangeRecorder;
  openTap: TapFactory;
  openBodyTap?: BodyTapFactory;
  metrics: Metrics;
  log: Logger;
}

/** Creates the proxy listener and binds it to `deps.listen`. */
export async function createProxyServer(deps: ProxyDeps): Promise<ProxyServer> {
  const { metrics, recorder, log } = deps;
  const exchanges = new InFlight();
  let closing = false;

  const { openTap, openBodyTap } = guardTaps(deps.openTap, deps.openBodyTap, metrics, log);
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
    const gen = deps.generation();
    refuseConnect(socket, contextFor(gen), gen.directory.resolve(null));
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => answerClientError(err, socket, exchanges, clientError));

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
