/**
 * The demo's client workload: behaves like a real application talking to a Cassia AC (in the
 * demo, through the proxy). Gets and refreshes a token, lists hubs, keeps a scan and a
 * notification stream (`sequence=2` unless told otherwise) open per gateway and re-opens them with backoff, polls the
 * connected-device list, and now and then connects a device, discovers it, reads, writes and
 * disconnects; every third such session (staggered across gateways, so that some start with one)
 * batch-connects a few devices instead, as Cassia's
 * acBatch.js does (queue them, wait until they are connected, write, disconnect, empty the queue).
 * Light by design: about 1.5 calls per second per gateway plus two streams.
 */
import { createSseTextReader } from '../streams/sse-parser.js';
import { tokenExpiringSoon, nextBackoff } from './workload-util.js';

/** pino-compatible subset; every method optional. */
export interface WorkloadLogger {
  info?(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** Options of `startWorkload`. */
export interface WorkloadOptions {
  /** AC (or proxy) base URL without `/api`, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  key: string;
  secret: string;
  /** Gateways to use; default: every gateway `/api/cassia/hubs` lists (re-listed every 30 s). */
  gateways?: string[];
  logger?: WorkloadLogger;
  /** Mean pause between two device sessions (connect, discover, read, write, disconnect) per gateway; default 4000 ms. */
  deviceActivityMs?: number;
  /** How often each gateway's connected-device list is polled, as dashboards do; default 1000 ms, 0 = never. */
  pollIntervalMs?: number;
  /**
   * Open the notification stream with `sequence=2` (default true). False opens it as Cassia's own
   * samples do (acNotify.js: `/api/gatt/nodes?mac=…`), for a proxy that asks for the numbers itself.
   */
  notifySequence?: boolean;
}

/** What the workload did so far. */
export interface WorkloadStats {
  tokensIssued: number;
  forbidden: number;
  requests: number;
  /** Responses by HTTP status (stream opens included), e.g. { "200": 10, "502": 1 }. */
  statuses: Record<string, number>;
  networkErrors: number;
  streamsOpen: number;
  streamsOpened: number;
  streamsEnded: number;
  events: number;
  keepalives: number;
  connects: number;
  /** `POST /gap/batch-connect` calls the gateway accepted. */
  batchConnects: number;
  reads: number;
  writes: number;
  discoveries: number;
  gateways: number;
}

/** A running workload. */
export interface Workload {
  stop(): Promise<void>;
  stats(): WorkloadStats;
}

/** Starts the workload; it runs until `stop()`. */
export function startWorkload(options: WorkloadOptions): Workload {
  const base = options.baseUrl.replace(/\/+$/, '');
  const log = options.logger ?? {};
  const activityMs = options.deviceActivityMs ?? 4000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const abort = new AbortController();
  const { signal } = abort;
  const tasks = new Set<Promise<void>>();
  const running = new Set<string>();
  const devices = new Map<string, Map<string, string>>(); // gateway -> device MAC -> address type
  const stats: WorkloadStats = {
    tokensIssued: 0, forbidden: 0, requests: 0, statuses: {}, networkErrors: 0, streamsOpen: 0, streamsOpened: 0,
    streamsEnded: 0, events: 0, keepalives: 0, connects: 0, batchConnects: 0, reads: 0, writes: 0, discoveries: 0, gateways: 0,
  };
  let token: { value: string; expiresAt: number; ttlMs: number } | null = null;
  let tokenPending: Promise<string> | null = null;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
  const spawn = (task: () => Promise<void>): void => {
    const p = task().catch((err: unknown) => {
      if (!signal.aborted) log.warn?.({ err: (err as Error).message }, 'workload task failed');
    }).finally(() => tasks.delete(p));
    tasks.add(p);
  };
  const count = (status: number): void => {
    stats.requests++;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  };

  async function fetchToken(): Promise<string> {
    const res = await fetch(`${base}/api/oauth2/token`, {
      method: 'POST', signal,
      headers: { authorization: `Basic ${Buffer.from(`${options.key}:${options.secret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    count(res.status);
    if (res.status !== 200) {
      await res.arrayBuffer();
      throw new Error(`token endpoint answered ${res.status}`);
    }
    const body = (await res.json()) as { access_token: string; expires_in: number };
    const ttlMs = Math.max(1, body.expires_in) * 1000;
    token = { value: body.access_token, expiresAt: Date.now() + ttlMs, ttlMs };
    stats.tokensIssued++;
    return body.access_token;
  }

  /** A live token, refreshed shortly before it expires; one request in flight at a time. */
  function getToken(): Promise<string> {
    if (token && !tokenExpiringSoon(token.expiresAt, token.ttlMs, Date.now())) return Promise.resolve(token.value);
    tokenPending ??= fetchToken().finally(() => { tokenPending = null; });
    return tokenPending;
  }

  /** A call with the Bearer token; on 403 the token is dropped and the call tried once more. */
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    for (let attempt = 0; ; attempt++) {
      const t = await getToken();
      const res = await fetch(`${base}/api${path}`, {
        method, signal,
        headers: { authorization: `Bearer ${t}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      count(res.status);
      if (res.status === 403 && attempt === 0) {
        stats.forbidden++;
        token = null;
        continue;
      }
      return { status: res.status, text };
    }
  }

  async function streamLoop(gateway: string, kind: 'scan' | 'notification'): Promise<void> {
    const path = kind === 'scan' ? '/api/gap/nodes' : '/api/gatt/nodes';
    let backoff = 0;
    while (!signal.aborted) {
      let opened = 0;
      try {
        const t = await getToken();
        // EventSource-style clients put the token in the query.
        const sequence = kind === 'scan' || options.notifySequence !== false ? 'sequence=2&' : '';
        const res = await fetch(`${base}${path}?event=1&${sequence}timestamp=1&mac=${encodeURIComponent(gateway)}&access_token=${t}`, { signal });
        count(res.status);
        if (res.status === 200 && res.body) {
          stats.streamsOpened++;
          stats.streamsOpen++;
          opened = Date.now();
          try {
            await readStream(res.body, gateway, kind);
          } finally {
            stats.streamsOpen--;
            stats.streamsEnded++;
          }
        } else {
          if (res.status === 403) {
            stats.forbidden++;
            token = null;
          }
          await res.arrayBuffer();
        }
      } catch (err) {
        if (signal.aborted) return;
        stats.networkErrors++;
        log.debug?.({ gateway, kind, err: (err as Error).message }, 'stream failed');
      }
      // A stream that lived a while starts the backoff afresh.
      backoff = nextBackoff(opened && Date.now() - opened > 10_000 ? 0 : backoff);
      await sleep(backoff);
    }
  }

  async function readStream(body: ReadableStream<Uint8Array>, gateway: string, kind: string): Promise<void> {
    const seen = devices.get(gateway) ?? new Map<string, string>();
    devices.set(gateway, seen);
    const reader = createSseTextReader({
      event(data) {
        stats.events++;
        if (kind === 'scan' && seen.size < 16) {
          const m = /"bdaddr":"([0-9A-F:]{17})","bdaddrType":"(public|random)"/.exec(data);
          if (m?.[1] && m[2]) seen.set(m[1], m[2]);
        }
      },
      keepAlive() {
        stats.keepalives++;
      },
    });
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) reader.write(chunk);
  }

  async function deviceLoop(gateway: string, stagger: number): Promise<void> {
    await sleep(1000 + Math.random() * activityMs);
    for (let session = 1; !signal.aborted; session++) {
      try {
        if ((session + stagger) % 3 === 0) await batchSession(gateway);
        else await deviceSession(gateway);
      } catch (err) {
        if (signal.aborted) return;
        stats.networkErrors++;
        log.debug?.({ gateway, err: (err as Error).message }, 'device session failed');
      }
      await sleep(activityMs * (0.5 + Math.random()));
    }
  }

  async function deviceSession(gateway: string): Promise<void> {
    const mac = encodeURIComponent(gateway);
    const candidates = [...(devices.get(gateway) ?? new Map<string, string>())];
    const pick = candidates[Math.floor(Math.random() * candidates.length)];
    await call('GET', `/gap/nodes?connection_state=connected&mac=${mac}`);
    if (!pick) return;
    const [device, type] = pick;
    const connect = await call('POST', `/gap/nodes/${device}/connection?mac=${mac}`, { type, timeout: 10000 });
    if (connect.status !== 200) return;
    stats.connects++;
    if ((await call('GET', `/gatt/nodes/${device}/services/characteristics/descriptors?mac=${mac}`)).status === 200) stats.discoveries++;
    if ((await call('GET', `/gatt/nodes/${device}/handle/36/value?mac=${mac}`)).status === 200) stats.reads++;
    const value = Math.floor(Math.random() * 256).toString(16).padStart(2, '0').toUpperCase();
    if ((await call('GET', `/gatt/nodes/${device}/handle/39/value/${value}?mac=${mac}`)).status === 200) stats.writes++;
    await sleep(500);
    if (!signal.aborted) await call('DELETE', `/gap/nodes/${device}/connection?mac=${mac}`);
  }

  /**
   * acBatch.js: queue up to three scanned devices with one `POST /gap/batch-connect`; the gateway
   * connects them one by one (acBatch.js watches the connection-state stream, this polls the
   * connection list), then write to each, disconnect it, and empty what is left of the queue.
   */
  async function batchSession(gateway: string): Promise<void> {
    const mac = encodeURIComponent(gateway);
    const picks = [...(devices.get(gateway) ?? new Map<string, string>())].sort(() => Math.random() - 0.5).slice(0, 3);
    if (picks.length === 0) return;
    const queued = await call('POST', `/gap/batch-connect?mac=${mac}`, {
      list: picks.map(([addr, type]) => ({ type, addr })), timeout: 5000, per_dev_timeout: 10000,
    });
    if (queued.status !== 200) return;
    stats.batchConnects++;
    let connected: string[] = [];
    for (let poll = 0; poll < 12 && !signal.aborted && connected.length < picks.length; poll++) {
      await sleep(500);
      const listed = await call('GET', `/gap/nodes?connection_state=connected&mac=${mac}`);
      if (listed.status !== 200) continue;
      const ids = new Set(((JSON.parse(listed.text) as { nodes?: Array<{ id?: string }> }).nodes ?? []).map((n) => n.id));
      connected = picks.map(([addr]) => addr).filter((addr) => ids.has(addr));
    }
    for (const device of connected) {
      if (signal.aborted) return;
      if ((await call('GET', `/gatt/nodes/${device}/handle/39/value/21FF310302FF31?mac=${mac}`)).status === 200) stats.writes++;
      await call('DELETE', `/gap/nodes/${device}/connection?mac=${mac}`);
    }
    if (!signal.aborted) await call('DELETE', `/gap/batch-connect?mac=${mac}`);
  }

  async function pollLoop(gateway: string): Promise<void> {
    const path = `/gap/nodes?connection_state=connected&mac=${encodeURIComponent(gateway)}`;
    while (!signal.aborted) {
      await sleep(pollMs * (0.8 + Math.random() * 0.4));
      if (signal.aborted) return;
      try {
        await call('GET', path);
      } catch (err) {
        if (signal.aborted) return;
        stats.networkErrors++;
        log.debug?.({ gateway, err: (err as Error).message }, 'poll failed');
      }
    }
  }

  function ensureGateway(gateway: string): void {
    if (running.has(gateway) || signal.aborted) return;
    running.add(gateway);
    stats.gateways = running.size;
    spawn(() => streamLoop(gateway, 'scan'));
    spawn(() => streamLoop(gateway, 'notification'));
    const stagger = running.size;
    spawn(() => deviceLoop(gateway, stagger));
    if (pollMs > 0) spawn(() => pollLoop(gateway));
  }

  async function hubsLoop(): Promise<void> {
    let backoff = 0;
    while (!signal.aborted) {
      try {
        const hubs = await call('GET', '/cassia/hubs');
        if (hubs.status === 200) {
          backoff = 0;
          const list = JSON.parse(hubs.text) as Array<{ mac?: string }>;
          if (!options.gateways) for (const h of list) if (typeof h.mac === 'string') ensureGateway(h.mac);
        }
      } catch (err) {
        if (signal.aborted) return;
        stats.networkErrors++;
        log.warn?.({ err: (err as Error).message }, 'listing hubs failed');
        backoff = nextBackoff(backoff);
      }
      await sleep(backoff || 30_000);
    }
  }

  for (const g of options.gateways ?? []) ensureGateway(g);
  spawn(hubsLoop);
  log.info?.({ baseUrl: base }, 'workload started');

  let stopping: Promise<void> | null = null;
  return {
    stats: () => ({ ...stats, statuses: { ...stats.statuses } }),
    stop: () => (stopping ??= (async () => {
      abort.abort();
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      log.info?.({ requests: stats.requests, events: stats.events }, 'workload stopped');
    })()),
  };
}
