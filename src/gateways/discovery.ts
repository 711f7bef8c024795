/**
 * Optional active discovery: polls `GET {upstream}/api/cassia/hubs` with the proxy's own token
 * (ac-token.ts, from `discovery.key`/`secret`) and feeds the list to the gateway state, so names,
 * models, versions and online state are known even when no client asks for the hub list. Its
 * lists are complete (no filter), so they also tell which gateways the AC no longer has.
 *
 * A poller belongs to one configuration generation and talks through that generation's upstream
 * pool (same TLS settings as forwarded traffic); a reload that changes the upstream, the
 * credentials or the interval builds a new poller and closes the old one.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { AcToken } from './ac-token.js';
import type { GatewayState } from './state.js';

export interface HubPoller {
  /** The settings this poller was built from: equal keys mean a reload can keep it. */
  readonly key: string;
  /** Runs one poll now (tests; the timer calls it too). Never throws. */
  poll(): Promise<void>;
  close(): Promise<void>;
}

/** What a poller depends on, as a key (the token's key hides the secret). */
export function pollerKey(config: Config, token: AcToken | null): string {
  if (!config.discovery.enabled || token === null) return 'off';
  return JSON.stringify([token.key, config.discovery.interval]);
}

export function createHubPoller(deps: { config: Config; token: AcToken | null; gatewayState: GatewayState; log: Logger }): HubPoller {
  const { config, gatewayState, log } = deps;
  const credentials = deps.token;
  const key = pollerKey(config, credentials);
  if (key === 'off' || credentials === null) {
    return { key, poll: async () => {}, close: async () => {} };
  }
  const own: AcToken = credentials;
  const { dispatcher, origin, basePath } = own.target;
  const { interval } = config.discovery;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  let warned = false;

  async function poll(): Promise<void> {
    if (closed) return;
    try {
      const token = await own.get();
      const res = await dispatcher.request({
        origin,
        path: `${basePath}/api/cassia/hubs`,
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
        headersTimeout: config.timeouts.headers,
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode === 401 || res.statusCode === 403) own.invalidate(token);
      else if (res.statusCode === 200) {
        gatewayState.observeHubList(body, { complete: true });
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
