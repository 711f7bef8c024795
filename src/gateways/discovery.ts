/**
 * Optional active discovery: polls `GET {upstream}/api/cassia/hubs` with the proxy's own
 * credentials (`discovery.key`/`secret`) and feeds the list to the gateway state, so names,
 * models, versions and online state are known even when no client asks for the hub list.
 * The token comes from `POST /api/oauth2/token` (Basic key:secret) and is refreshed a minute
 * before it expires, or at once after a 401/403.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Config } from '../config/types.js';
import type { GatewayState } from './state.js';

export interface HubPoller {
  /** Runs one poll now (tests; the timer calls it too). Never throws. */
  poll(): Promise<void>;
  close(): Promise<void>;
}

const REFRESH_MARGIN_MS = 60_000;

export function createHubPoller(deps: { config: Config; gatewayState: GatewayState; log: Logger }): HubPoller {
  const { config, gatewayState, log } = deps;
  const { enabled, key, secret, interval } = config.discovery;
  const upstream = config.upstream;
  if (!enabled || upstream === null || key === null || secret === null) {
    return { poll: async () => {}, close: async () => {} };
  }
  const dispatcher = new Agent({
    connect: {
      rejectUnauthorized: !config.upstreamInsecure,
      ...(config.upstreamCa ? { ca: readFileSync(config.upstreamCa) } : {}),
    },
  });
  const base = upstream.href.replace(/\/$/, '');
  let token: string | null = null;
  let tokenExpires = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let warned = false;

  async function fetchToken(): Promise<string> {
    const res = await request(`${base}/api/oauth2/token`, {
      method: 'POST',
      dispatcher,
      headers: {
        authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      headersTimeout: config.timeouts.headers,
    });
    const body = (await res.body.json()) as { access_token?: unknown; expires_in?: unknown };
    if (res.statusCode !== 200 || typeof body.access_token !== 'string') {
      throw new Error(`token request answered ${res.statusCode}`);
    }
    const ttl = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 3_600_000;
    tokenExpires = Date.now() + Math.max(ttl - REFRESH_MARGIN_MS, ttl / 2);
    return body.access_token;
  }

  async function poll(): Promise<void> {
    try {
      if (token === null || Date.now() >= tokenExpires) token = await fetchToken();
      const res = await request(`${base}/api/cassia/hubs`, {
        dispatcher,
        headers: { authorization: `Bearer ${token}` },
        headersTimeout: config.timeouts.headers,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode === 401 || res.statusCode === 403) token = null;
      else if (res.statusCode === 200) {
        gatewayState.observeHubList(body);
        warned = false;
      } else throw new Error(`hub list answered ${res.statusCode}`);
    } catch (err) {
      if (!warned) log.warn({ err }, 'gateway discovery poll failed; retrying every interval');
      warned = true;
    }
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => {
      void poll().finally(schedule);
    }, interval);
    timer.unref();
  }
  void poll().finally(schedule);

  return {
    poll,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await dispatcher.close();
    },
  };
}
