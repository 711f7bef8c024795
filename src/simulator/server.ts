/**
 * The simulator's HTTP front: `/__sim/*` control, the OAuth token endpoint, auth, and for calls
 * naming a gateway the per-gateway faults (502, 504 after a delay, extra latency, offline)
 * before the call reaches its handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { acRoute } from './ac-routes.js';
import { FORBIDDEN_BODY, type TokenStore } from './auth.js';
import { gatewayRoute } from './gateway-routes.js';
import { REQUEST_ID_HEADER, delay, gatewayErrorPage, parseBody, readBody, send, sendJson, type Exchange } from './http-util.js';
import { normalizeMac } from './mac.js';
import type { SimWorld } from './world.js';

const GATEWAY_PATH = /^\/(gap|gatt|management|cassia\/(info|reboot))(\/|$)/;

async function control(world: SimWorld, ex: Exchange): Promise<void> {
  const method = ex.req.method ?? 'GET';
  const path = ex.url.pathname;
  if (path === '/__sim/truth' && method === 'GET') return sendJson(ex, 200, world.truth());
  if (path === '/__sim/faults' && method === 'GET') return sendJson(ex, 200, world.options.profiles);
  if (path === '/__sim/faults' && method === 'POST') {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(ex.req)) || '{}');
    } catch {
      return sendJson(ex, 400, { error: 'body is not JSON' });
    }
    try {
      world.setFaults(body);
    } catch (err) {
      if ((err as { code?: string }).code === 'SIM_BAD_PROFILE') return sendJson(ex, 400, { error: (err as Error).message });
      throw err;
    }
    return sendJson(ex, 200, world.options.profiles);
  }
  if (path === '/__sim/streams' && method === 'GET') return sendJson(ex, 200, { streams: Object.fromEntries(world.streamBytes) });
  if (path === '/__sim/requests' && method === 'GET') return sendJson(ex, 200, { requests: Object.fromEntries(world.requestRecords) });
  if (path === '/__sim/close-streams' && method === 'POST') return sendJson(ex, 200, { closed: world.closeStreams() });
  send(ex, 404, 'Not Found');
}

async function token(tokens: TokenStore, ex: Exchange): Promise<void> {
  const body = parseBody(await readBody(ex.req), ex.req.headers['content-type']);
  if (body.grant_type !== 'client_credentials') {
    return sendJson(ex, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
  }
  const answer = tokens.issue(ex.req.headers.authorization);
  if (!answer) return sendJson(ex, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
  sendJson(ex, 200, answer);
}

/** Faults of the gateway named in `mac`, then its handler. Two draws per call, always. */
async function throughGateway(world: SimWorld, ex: Exchange): Promise<void> {
  const g = ex.g;
  if (!g) return;
  const p = world.profileOf(g);
  const u = g.requestRng();
  const jitter = g.requestRng();
  if (u < p.http502) {
    await delay(p.latencyMs + jitter * p.jitterMs);
    return send(ex, 502, gatewayErrorPage(502), 'text/html');
  }
  if (u < p.http502 + p.http504) {
    await delay(p.http504DelayMs);
    return send(ex, 504, gatewayErrorPage(504), 'text/html');
  }
  await delay(p.latencyMs + jitter * p.jitterMs);
  // An offline gateway cannot be reached from the AC: documented choice, 502 with a text body.
  if (!g.online) return send(ex, 502, 'gateway offline');
  return gatewayRoute(world, ex);
}

async function dispatch(world: SimWorld, tokens: TokenStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const ex: Exchange = { req, res, url, path: url.pathname.slice(4), g: null };
  if (url.pathname.startsWith('/__sim/')) return control(world, ex);
  const id = req.headers[REQUEST_ID_HEADER];
  if (typeof id === 'string') world.recordRequest(req, id, url.pathname);
  if (!url.pathname.startsWith('/api/')) return send(ex, 404, 'Not Found');
  if (url.pathname === '/api/oauth2/token') {
    return req.method === 'POST' ? token(tokens, ex) : send(ex, 405, 'Method Not Allowed');
  }
  const macParam = url.searchParams.get('mac');
  if (macParam !== null) {
    const g = world.byMac.get(normalizeMac(macParam.trim()) ?? '');
    // An unknown gateway: the AC has nowhere to send the call (documented choice, 500).
    if (!g) return tokens.check(req, url) ? send(ex, 500, 'hub not found') : sendJson(ex, 403, FORBIDDEN_BODY);
    ex.g = g;
  }
  if (!tokens.check(req, url)) return sendJson(ex, 403, FORBIDDEN_BODY);
  if (ex.g) return throughGateway(world, ex);
  const routed = acRoute(world, ex);
  if (routed === false) {
    // A gateway call without `mac`: the AC cannot route it.
    return GATEWAY_PATH.test(ex.path) ? send(ex, 500, 'hub not found') : send(ex, 404, 'Not Found');
  }
  return routed === true ? undefined : routed;
}

/** Key and certificate (PEM) for serving HTTPS instead of HTTP. */
export interface SimTls { key: string | Buffer; cert: string | Buffer }

/** Creates the node:http (or, with `tls`, node:https) server of the simulator (not yet listening). */
export function createSimServer(world: SimWorld, tokens: TokenStore, tls?: SimTls): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    dispatch(world, tokens, req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`simulator error: ${(err as Error).message}`);
      } else {
        res.destroy();
      }
    });
  };
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  // Streams are long-lived by design.
  server.requestTimeout = 0;
  return server;
}
