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

/** What the same pass over the request's headers learns about its framing. */
export interface RequestFraming {
  /** A Host field was present. */
  host: boolean;
  /** The request has a body: Content-Length other than 0, or any Transfer-Encoding. */
  hasBody: boolean;
  /** Transfer-Encoding values joined with ", " (as node does), or null. */
  transferEncoding: string | null;
}

/**
 * The headers to send upstream, as undici's flat `[name, value, …]` array, from node's
 * `req.rawHeaders` (original case and order, duplicates kept), plus X-Forwarded-For/-Proto/-Host;
 * `framing` is filled from the same pass (reading `req.headers` would make node build a second
 * copy of every header). Null for a request with more than one Host field, which must be refused
 * (RFC 9112 §3.2).
 */
export function upstreamRequestHeaders(raw: readonly string[], info: ForwardedInfo, framing: RequestFraming): string[] | null {
  const named = findConnection(raw);
  const out: string[] = [];
  let forwardedFor: string | null = null;
  let host: string | null = null;
  let contentLength: string | null = null;
  let transferEncoding: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    // Framing is read before any field is dropped: node frames the body by these whatever Connection names.
    if (lower === 'transfer-encoding') transferEncoding = transferEncoding === null ? value : `${transferEncoding}, ${value}`;
    else if (lower === 'content-length') contentLength = value; // node's parser refused differing duplicates
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
  framing.host = host !== null;
  framing.transferEncoding = transferEncoding;
  framing.hasBody = contentLength !== null ? contentLength.trim() !== '0' : transferEncoding !== null;
  return out;
}

/**
 * The response headers for the client, from undici's raw `Buffer[]` pairs, as node's
 * `writeHead` flat-array form (keeps duplicate `set-cookie` fields apart). One pass; the rare
 * response whose Connection field names other fields gets a second one that drops them.
 */
export function clientResponseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const value = (raw[i + 1] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      const tokens = lower === 'connection' ? connectionTokens(value) : null;
      if (tokens !== null) {
        named ??= new Set();
        for (const t of tokens) named.add(t);
      }
      continue;
    }
    out.push(name, value);
  }
  if (named === null) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!named.has((out[i] as string).toLowerCase())) kept.push(out[i] as string, out[i + 1] as string);
  }
  return kept;
}

/** First value of a header in a flat `[name, value, …]` array, by lower-case name. */
export function headerValue(flat: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return flat[i + 1];
  }
  return undefined;
}
