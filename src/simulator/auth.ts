/**
 * The AC's OAuth client-credentials flow: Basic auth with key:secret, tokens that expire, and
 * the documented 403 for an expired or unknown token.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The AC's answer to an expired or unknown token (Cassia's API guide; docs/cassia-api-routes.md). */
export const FORBIDDEN_BODY = '{"error":"forbidden","error_description":"Token not found or expired"}';

/** Issues and checks bearer tokens. */
export interface TokenStore {
  /** Checks `Authorization: Basic`; returns a token answer body or null when the client is wrong. */
  issue(authorization: string | undefined): { access_token: string; token_type: 'bearer'; expires_in: number } | null;
  /** True when the request carries a live token (Bearer header or `access_token` query). */
  check(req: IncomingMessage, url: URL): boolean;
}

/** Creates the token store for one client `key`/`secret`. */
export function createTokenStore(key: string, secret: string, ttlSeconds: number): TokenStore {
  const tokens = new Map<string, number>();
  const expected = `${key}:${secret}`;

  function sweep(now: number): void {
    for (const [token, expiry] of tokens) if (expiry <= now) tokens.delete(token);
  }

  return {
    issue(authorization) {
      if (!authorization || !/^basic /i.test(authorization)) return null;
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      if (decoded !== expected) return null;
      const now = Date.now();
      if (tokens.size > 1000) sweep(now);
      const token = randomBytes(20).toString('hex');
      tokens.set(token, now + ttlSeconds * 1000);
      return { access_token: token, token_type: 'bearer', expires_in: Math.max(1, Math.round(ttlSeconds)) };
    },
    check(req, url) {
      const header = req.headers.authorization;
      let token: string | null = null;
      if (header && /^bearer /i.test(header)) token = header.slice(7).trim();
      else token = url.searchParams.get('access_token');
      if (!token) return false;
      const expiry = tokens.get(token);
      if (expiry === undefined) return false;
      if (expiry <= Date.now()) {
        tokens.delete(token);
        return false;
      }
      return true;
    },
  };
}
