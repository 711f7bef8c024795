/**
 * The proxy's own access to the AC: one OAuth client-credentials token for the proxy's own calls
 * (the discovery poll and the probes), from `discovery.key`/`discovery.secret`. The token comes
 * from `POST /api/oauth2/token` (Basic key:secret) and is refreshed a minute before it expires (at
 * half its life when that is shorter), so no call of ours meets an expired token; after a 401/403
 * the caller hands it back with `invalidate()` and the next `get()` fetches a fresh one.
 *
 * One per configuration generation, kept across a reload that leaves the upstream, the
 * credentials and the headers timeout alone, and talking through that generation's upstream pool
 * (the TLS settings of forwarded traffic). Applications' own tokens never pass through here.
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config/types.js';

/** Where the proxy's own requests go: the upstream's pool and path prefix. */
export interface AcTarget {
  dispatcher: Dispatcher;
  origin: string;
  basePath: string;
  /** Identity of the upstream connection settings (part of the token's key). */
  key: string;
}

export interface AcToken {
  /** The settings this token source was built from: equal keys mean a reload can keep it. */
  readonly key: string;
  readonly target: AcTarget;
  /**
   * A live token, fetched when there is none or it is due for refresh; concurrent callers share
   * one fetch. Rejects with the network error, or an `AcTokenError` when the AC answered.
   */
  get(): Promise<string>;
  /** The AC refused `token` (401/403): the next `get()` fetches a new one (unless that already happened). */
  invalidate(token: string): void;
}

/** The token endpoint answered, but not with a token (wrong credentials, AC trouble). */
export class AcTokenError extends Error {
  readonly code = 'AC_TOKEN_REFUSED' as const;
  constructor(readonly status: number) {
    super(`token request answered ${status}`);
  }
}

const REFRESH_MARGIN_MS = 60_000;

/** What the token depends on, as a key ('off' without credentials; the secret only as a hash). */
export function acTokenKey(config: Config, target: AcTarget | null): string {
  const { key, secret } = config.discovery;
  if (target === null || key === null || secret === null) return 'off';
  return JSON.stringify([target.key, key, hashOf(secret), config.timeouts.headers]);
}

/** FNV-1a: enough to notice a changed secret. */
function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The token source for `config`, or null when it names no credentials or there is no upstream. */
export function createAcToken(config: Config, target: AcTarget | null, now: () => number = Date.now): AcToken | null {
  const key = acTokenKey(config, target);
  const { key: user, secret } = config.discovery;
  if (key === 'off' || target === null || user === null || secret === null) return null;
  const { dispatcher, origin, basePath } = target;
  const basic = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  let token: string | null = null;
  let refreshAt = 0;
  let pending: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const res = await dispatcher.request({
      origin,
      path: `${basePath}/api/oauth2/token`,
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      headersTimeout: config.timeouts.headers,
    });
    const body = (await res.body.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (res.statusCode !== 200 || typeof body.access_token !== 'string') throw new AcTokenError(res.statusCode);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
    refreshAt = now() + Math.max(ttl - REFRESH_MARGIN_MS, ttl / 2);
    token = body.access_token;
    return token;
  }

  return {
    key,
    target,
    get() {
      if (token !== null && now() < refreshAt) return Promise.resolve(token);
      pending ??= fetchToken().finally(() => { pending = null; });
      return pending;
    },
    invalidate(refused) {
      if (token === refused) token = null;
    },
  };
}
