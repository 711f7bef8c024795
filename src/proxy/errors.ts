/**
 * The proxy's own error answers, one shape everywhere (docs/reference.md): a short JSON body
 * `{"error":"<reason>","proxy":"cassia-ac-proxy"}` and the header `X-Cassia-Proxy-Error`, so
 * nobody mistakes them for the AC's.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';

const PROXY_NAME = 'cassia-ac-proxy';

/** The JSON body of a proxy error. `reason` is one of the closed set of outcome reasons (no escaping needed). */
export function proxyErrorBody(reason: string): string {
  return `{"error":"${reason}","proxy":"${PROXY_NAME}"}`;
}

/**
 * Answers `res` with the proxy's error, unless headers already went out. Returns the body bytes
 * sent (the access log's `bytesOut`): 0 when nothing could be sent, and for HEAD.
 */
export function sendProxyError(res: ServerResponse, status: number, reason: string, extra: Record<string, string> = {}): number {
  if (res.headersSent || res.destroyed) return 0;
  const body = proxyErrorBody(reason);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-cassia-proxy-error': reason,
    ...extra,
  });
  res.end(body);
  return res.req.method === 'HEAD' ? 0 : body.length;
}

/**
 * The same answer as raw HTTP/1.1 bytes, for sockets node:http hands over without a response
 * object (CONNECT, unparsable requests); always ends with `connection: close`.
 */
export function rawProxyError(status: number, reason: string, extra: Record<string, string> = {}): string {
  const body = proxyErrorBody(reason);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length), 'x-cassia-proxy-error': reason, ...extra, connection: 'close' };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines}\r\n${body}`;
}
