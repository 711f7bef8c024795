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
    const field = requestField(name);
    const { role } = field;
    // Framing is read before any field is dropped: node frames the body by these whatever Connection names.
    if (role === 'transfer-encoding') {
      transferEncoding = transferEncoding === null ? value : `${transferEncoding}, ${value}`;
      continue;
    }
    if (role === 'content-length') contentLength = value; // node's parser refused differing duplicates
    if (role === 'drop' || named?.has(field.lower)) continue;
    if (role === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
      continue;
    }
    if (role === 'host') {
      if (host !== null) return null;
      host = value;
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

/** What the proxy does with a request field: read it (framing, Host, X-Forwarded-For), drop it, forward it. */
interface RequestField {
  lower: string;
  role: 'forward' | 'drop' | 'host' | 'x-forwarded-for' | 'transfer-encoding' | 'content-length';
}

/** Request field names as node hands them (clients send the same few), with their role. */
const requestFields = new Map<string, RequestField>();
const MAX_REQUEST_FIELDS = 256;

function requestField(name: string): RequestField {
  const seen = requestFields.get(name);
  if (seen !== undefined) return seen;
  const lower = name.toLowerCase();
  const role: RequestField['role'] = lower === 'transfer-encoding' || lower === 'content-length' || lower === 'host' || lower === 'x-forwarded-for'
    ? lower
    : HOP_BY_HOP.has(lower) || REQUEST_OWN.has(lower) ? 'drop' : 'forward';
  const field = { lower, role };
  if (requestFields.size < MAX_REQUEST_FIELDS) requestFields.set(name, field);
  return field;
}

/** A response field name as the proxy handles it: the text forwarded, lower-cased, whether hop-by-hop. */
interface FieldName {
  name: string;
  lower: string;
  hopByHop: boolean;
  /** The last value seen under this name (content-type, content-length repeat), reused when the bytes match. */
  lastValue: string;
}

/** Values up to this length are compared with the last one before a new string is made. */
const MAX_REUSED_VALUE = 64;

function fieldValue(field: FieldName, buf: Buffer): string {
  if (buf.length <= MAX_REUSED_VALUE) {
    if (sameLatin1(buf, field.lastValue)) return field.lastValue;
    const value = buf.toString('latin1');
    field.lastValue = value;
    return value;
  }
  return buf.toString('latin1');
}

/** Field names seen in responses, by length, first and last byte (an AC sends the same few on every answer). */
const fieldNames = new Map<number, FieldName>();
/** Bound on `fieldNames`: past it new names are converted every time (a hostile upstream cannot grow it). */
const MAX_FIELD_NAMES = 256;

function sameLatin1(buf: Buffer, text: string): boolean {
  if (buf.length !== text.length) return false;
  for (let i = 0; i < buf.length; i++) if (buf[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The field name in `buf`, from the cache when it was seen before (no string, no lower-casing). */
function fieldName(buf: Buffer): FieldName {
  const n = buf.length;
  const key = n === 0 ? 0 : n * 65536 + (buf[0] as number) * 256 + (buf[n - 1] as number);
  const seen = fieldNames.get(key);
  if (seen !== undefined && sameLatin1(buf, seen.name)) return seen;
  const name = buf.toString('latin1');
  const lower = name.toLowerCase();
  const field = { name, lower, hopByHop: HOP_BY_HOP.has(lower), lastValue: '' };
  if (seen === undefined && fieldNames.size < MAX_FIELD_NAMES) fieldNames.set(key, field);
  return field;
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
    const field = fieldName(raw[i] as Buffer);
    if (field.hopByHop) {
      // Only Connection's value matters (the fields it names); the others are dropped unread.
      const tokens = field.lower === 'connection' ? connectionTokens((raw[i + 1] as Buffer).toString('latin1')) : null;
      if (tokens !== null) {
        named ??= new Set();
        for (const t of tokens) named.add(t);
      }
      continue;
    }
    out.push(field.name, fieldValue(field, raw[i + 1] as Buffer));
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
