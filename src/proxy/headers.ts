/**
 * Header hygiene for both directions. Hop-by-hop fields describe one connection, not the
 * message, so a proxy must not forward them (RFC 9110 §7.6.1): the fixed list below plus every
 * field named in `Connection`. fastify/fastify-reply-from lib/utils.js does the same.
 */

/** RFC 9110 §7.6.1 (and the de-facto `Proxy-Connection`, `Keep-Alive`). */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Request fields the proxy sets itself: `host` (undici sends the upstream's, so a Host trick can
 * never pick another server), `expect` (node:http already answered 100-continue; undici rejects
 * it), and the `x-forwarded-*` fields it rebuilds.
 */
const REQUEST_OWN = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/** Names listed in a Connection header value, lower-cased. */
function connectionTokens(value: string): Set<string> | null {
  // The usual values name no other header: skip the split (this runs on most responses).
  const v = value.length <= 10 ? value.toLowerCase() : '';
  if (v === 'keep-alive' || v === 'close') return null;
  const tokens = new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

function findConnection(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      const named = connectionTokens(raw[i + 1] as string);
      if (named === null) continue;
      tokens ??= new Set();
      for (const t of named) tokens.add(t);
    }
  }
  return tokens;
}

export interface ForwardedInfo {
  clientIp: string | undefined;
  proto: 'http' | 'https';
}

/**
 * The headers to send upstream, as undici's flat `[name, value, …]` array, from node's
 * `req.rawHeaders` (original case and order, duplicates kept), plus X-Forwarded-For/-Proto/-Host.
 * Null for a request with more than one Host field, which must be refused (RFC 9112 §3.2).
 */
export function upstreamRequestHeaders(raw: readonly string[], info: ForwardedInfo): string[] | null {
  const named = findConnection(raw);
  const out: string[] = [];
  let forwardedFor: string | null = null;
  let host: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    if (REQUEST_OWN.has(lower)) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
      else if (lower === 'host') {
        if (host !== null) return null;
        host = value;
      }
      continue;
    }
    out.push(name, value);
  }
  const ip = info.clientIp ?? 'unknown';
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${ip}` : ip);
  out.push('x-forwarded-proto', info.proto);
  if (host !== null) out.push('x-forwarded-host', host);
  return out;
}

/**
 * The response headers for the client, from undici's raw `Buffer[]` pairs, as node's
 * `writeHead` flat-array form (keeps duplicate `set-cookie` fields apart).
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  const strings: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) strings[i] = (raw[i] as Buffer).toString('latin1');
  const named = findConnection(strings);
  const out: string[] = [];
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(name, strings[i + 1] as string);
  }
  return out;
}

/** First value of a header in a flat `[name, value, …]` array, by lower-case name. */
export function headerValue(flat: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return flat[i + 1];
  }
  return undefined;
}
