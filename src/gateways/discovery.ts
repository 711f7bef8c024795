/**
 * Optional active discovery: polls `GET {upstream}/api/cassia/hubs` with the proxy's own
 * credentials (`discovery.key`/`secret`) and feeds the list to the gateway state, so names,
 * models, versions and online state are known even when no client asks for the hub list.
 * The token comes from `POST /api/oauth2/token` (Basic key:secret) and is refreshed a minute
 * before it expires, or at once after a 401/403.
 *
 * A poller belongs to one configuration generation and talks through that generation's upstream
 * pool (same TLS settings as forwarded traffic); a reload that changes the upstream, the
 * credentials or the interval builds a new poller and closes the old one.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Config } from '../config/types.js';
import type { GatewayState } from './state.js';

export interface HubPoller {
  /** The settings this poller was built from: equal keys mean a reload can keep it. */
  readonly key: string;
  /** Runs one poll now (tests; the timer calls it too). Never throws. */
  poll(): Promise<void>;
  close(): Promise<void>;
}

/** Where the poller sends its requests: the upstream's pool and path prefix. */
export interface PollTarget {
  dispatcher: Dispatcher;
  origin: string;
  basePath: string;
  /** Identity of the upstream connection settings (part of the poller's key). */
  key: string;
}

const REFRESH_MARGIN_MS = 60_000;

/** What a poller depends on, as a key (the secret only as a hash, so the key is safe to show). */
export function pollerKey(config: Config, target: PollTarget | null): string {
  const { enabled, key, secret, interval } = config.discovery;
  if (!enabled || target === null || key === null || secret === null) return 'off';
  return JSON.stringify([target.key, key, hashOf(secret), interval, config.timeouts.headers]);
}

/** FNV-1a: enough to notice a changed secret. */
function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function createHubPoller(deps: { config: Config; target: PollTarget | null; gatewayState: GatewayState; log: Logger }): HubPoller {
  const { config, target, gatewayState, log } = deps;
  const key = pollerKey(config, target);
  const { key: user, secret, interval } = config.discovery;
  if (key === 'off' || target === null || user === null || secret === null) {
    return { key, poll: async () => {}, close: async () => {} };
  }
  const { dispatcher, origin, basePath } = target;
  let token: string | null = null;
  let tokenExpires = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let warned = false;

  async function fetchToken(): Promise<string> {
    const res = await dispatcher.request({
      origin,
      path: `${basePath}/api/oauth2/token`,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
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
    if (closed) return;
    try {
      if (token === null || Date.now() >= tokenExpires) token = await fetchToken();
      const res = await dispatcher.request({
        origin,
        path: `${basePath}/api/cassia/hubs`,
        method: 'GET',
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
      if (!warned && !closed) log.warn({ err }, 'gateway discovery poll failed; retrying every interval');
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
    key,
    poll,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      return Promise.resolve();
    },
  };
}
