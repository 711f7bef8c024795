/**
 * What the proxy answers itself instead of forwarding: requests it will not forward (no Host, a
 * request body framing it cannot vouch for, shutdown), CONNECT, and the connection-level errors
 * node reports before or between requests (headers incomplete, too large, malformed). Each is
 * counted where the client caused it (`client_errors_total`) and recorded like an exchange.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { clientErrorAnswer, type ClientErrorReason } from '../classify/client-error.js';
import { OTHER_ROUTE, routeTemplate } from '../classify/routes.js';
import type { GatewayHandle } from '../gateways/handle.js';
import { proxyErrorBody, rawProxyError } from './errors.js';
import type { ExchangeContext } from './exchange.js';
import type { RequestFraming } from './headers.js';
import type { InFlight } from './in-flight.js';
import type { ExchangeRecord } from './recorder.js';

/**
 * Whether the proxy will forward the request at all (RFC 9112 §3.2, §6.3):
 * - an HTTP/1.1 request must carry Host (node's own check is off so that the answer is the
 *   proxy's JSON 400; a second Host field is caught by upstreamRequestHeaders);
 * - node's parser refuses every other smuggling shape before the request gets here, but a
 *   request Transfer-Encoding whose last coding is not `chunked` (`xchunked`, `chunked,
 *   identity`) only when its body is parsed, after the request was handed over: refuse it here
 *   so that it is never forwarded.
 */
export function requestOk(req: IncomingMessage, framing: RequestFraming): boolean {
  if (!framing.host && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) return false;
  const te = framing.transferEncoding;
  return te === null || /(?:^|,)[ \t]*chunked[ \t]*$/i.test(te);
}

/** Records a request the proxy answered itself without forwarding it. */
export function recordRefusal(
  ctx: ExchangeContext, method: string, status: number, reason: 'bad_request' | 'shutdown', ms: number,
  pathname: string | null, gateway: GatewayHandle, bytesOut: number,
): void {
  const record: ExchangeRecord = {
    route: pathname === null ? OTHER_ROUTE : routeTemplate(pathname), method, gateway, outcome: { origin: 'proxy', reason, status },
    headersMs: ms, totalMs: ms, endedAt: Date.now(), bytesIn: 0, bytesOut, stream: null, streamEnd: null, sequenceRequested: false, acError: null,
  };
  ctx.recorder.headers(record);
  ctx.recorder.finish(record, ctx.accessLog);
}

/** Refuses a CONNECT request (405) on its socket: the proxy never dials anywhere but its upstream. */
export function refuseConnect(socket: Socket, ctx: ExchangeContext, none: GatewayHandle): void {
  socket.on('error', () => undefined);
  socket.end(rawProxyError(405, 'bad_request', { allow: 'GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS' }));
  socket.destroySoon();
  ctx.clientError('bad_request');
  recordRefusal(ctx, 'CONNECT', 405, 'bad_request', 0, null, none, proxyErrorBody('bad_request').length);
}

/** Answers a connection-level error node reports (its 'clientError' event), or just closes the socket. */
export function answerClientError(
  err: Error & { code?: string }, socket: Socket, exchanges: InFlight, clientError: (reason: ClientErrorReason) => void,
): void {
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
}
