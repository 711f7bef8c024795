/**
 * Parsers for single configuration values. Each takes what a YAML/JSON file, a flag or an
 * environment variable may hold (`unknown`) and either returns the normalised value or says
 * what was expected, so every caller can build the same kind of error line.
 */
import { isIP } from 'node:net';
import { TRANSPORTS, type Transport } from '../vocabulary.js';
import type { HostPort, ProbeCall } from './types.js';

/** The result of parsing one value: the value, or a phrase for "expected …". */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_EXPECTED = 'a duration such as 250ms, 30s, 5m or 1h';

/**
 * `250ms`, `30s`, `5m`, `1h`, `1.5s`, `1m30s` to milliseconds. Bare numbers are rejected, in
 * files too: `5000` could mean seconds or milliseconds, and guessing wrong turns a 5 s connect
 * timeout into 83 minutes.
 */
export function parseDuration(value: unknown, min = 1): Parsed<number> {
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value))) {
    // Zero or less is wrong in any unit: say what is allowed rather than which unit to add.
    if (Number(value) <= 0 && min > 0) return bad(`${DURATION_EXPECTED}, at least ${formatDuration(min)}`);
    return bad(`${DURATION_EXPECTED} (a bare number is ambiguous: write ${String(value).trim()}ms or ${String(value).trim()}s)`);
  }
  if (typeof value !== 'string') return bad(DURATION_EXPECTED);
  const text = value.trim();
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text)) return bad(DURATION_EXPECTED);
  let ms = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(part[1]) * (DURATION_UNITS[part[2] ?? 'ms'] ?? 1);
  }
  ms = Math.round(ms);
  if (ms < min) return bad(`${DURATION_EXPECTED}, at least ${formatDuration(min)}`);
  return ok(ms);
}

/** Milliseconds back to the largest exact unit, so printed config files read like written ones. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const BYTE_UNITS: Record<string, number> = {
  b: 1, kb: 1000, mb: 1_000_000, gb: 1_000_000_000, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};
const BYTES_EXPECTED = 'a size such as 1MiB, 512KiB or a number of bytes';

/** `1MiB`, `512KiB`, `64kB`, `1048576` to bytes (integer, at least 1). */
export function parseByteSize(value: unknown): Parsed<number> {
  let bytes: number;
  if (typeof value === 'number') {
    bytes = value;
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const factor = BYTE_UNITS[(match?.[2] || 'b').toLowerCase()];
    if (!match || factor === undefined) return bad(BYTES_EXPECTED);
    bytes = Number(match[1]) * factor;
  } else {
    return bad(BYTES_EXPECTED);
  }
  if (!Number.isInteger(bytes) || bytes < 1) return bad(`${BYTES_EXPECTED} (a whole number of bytes, at least 1)`);
  return ok(bytes);
}

/** Bytes back to `1MiB`/`512KiB` when exact. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** An integer in [min, max]; numeric strings are accepted because flags and env are strings. */
export function parseInteger(value: unknown, min: number, max: number): Parsed<number> {
  const expected = `an integer from ${min} to ${max}`;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*-?(\d+|0x[0-9a-fA-F]+)\s*$/.test(value)) n = Number(value.trim());
  else return bad(expected);
  if (!Number.isInteger(n) || n < min || n > max) return bad(expected);
  return ok(n);
}

/** `true`/`false` (and `1`/`0`, `yes`/`no` from environment variables). */
export function parseBoolean(value: unknown): Parsed<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return ok(true);
    if (['false', '0', 'no'].includes(text)) return ok(false);
  }
  return bad('true or false');
}

/** One of a fixed set of words (case-insensitive; returned in its listed spelling). */
export function parseChoice<T extends string>(value: unknown, choices: readonly T[]): Parsed<T> {
  const found = typeof value === 'string' ? choices.find((c) => c.toLowerCase() === value.trim().toLowerCase()) : undefined;
  return found === undefined ? bad(`one of ${choices.join(', ')}`) : ok(found);
}

/** `capwap`, `mqtt`, `unknown`. */
export function parseTransport(value: unknown): Parsed<Transport> {
  return parseChoice(value, TRANSPORTS);
}

/** A non-empty string (names, credentials, paths). */
export function parseText(value: unknown): Parsed<string> {
  if (typeof value === 'string' && value.trim() !== '') return ok(value);
  if (typeof value === 'number') return ok(String(value));
  return bad('a non-empty string');
}

const HOST_PORT_EXPECTED = 'host:port, :port or [ipv6]:port, e.g. 127.0.0.1:8080';

/**
 * `127.0.0.1:8080`, `localhost:0`, `:8080` (every IPv4 interface, `0.0.0.0`), `[::1]:8080`.
 * Port 0 asks the OS for a free port.
 */
export function parseHostPort(value: unknown): Parsed<HostPort> {
  if (typeof value === 'number') return bad(`${HOST_PORT_EXPECTED} (a bare port is ambiguous: write 127.0.0.1:${value} or :${value})`);
  // `admin: [::1]:9464` unquoted is a YAML flow sequence; say so instead of "expected a string".
  if (Array.isArray(value)) return bad(`${HOST_PORT_EXPECTED} (quote IPv6 addresses in YAML: "[::1]:9464")`);
  if (typeof value !== 'string') return bad(HOST_PORT_EXPECTED);
  const text = value.trim();
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]*):(\d{1,5})$/.exec(text);
  if (!match) return bad(HOST_PORT_EXPECTED);
  const host = match[1] === '' ? '0.0.0.0' : (match[1] ?? '');
  const port = Number(match[2]);
  const bracketed = text.startsWith('[');
  if (bracketed ? isIP(host) !== 6 : !/^[A-Za-z0-9.-]+$/.test(host)) return bad(HOST_PORT_EXPECTED);
  if (port > 65535) return bad(`${HOST_PORT_EXPECTED} (port 0 to 65535)`);
  return ok({ host, port });
}

/** `HostPort` back to the accepted text form. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The AC base URL: http or https, a host, no path beyond `/`, no query or fragment, no
 * credentials (user-info would be dropped silently: requests go to the URL's origin). A base path
 * is refused rather than accepted because the proxy forwards each request's own path
 * (`/api/...`) unchanged to the upstream origin: a path here would be silently ignored.
 * `null` (or `none` in a file) means no upstream: demo mode.
 */
export function parseUpstreamUrl(value: unknown): Parsed<URL | null> {
  if (value === null) return ok(null);
  const expected = 'an http:// or https:// URL such as https://ac.example.com';
  if (typeof value !== 'string') return bad(expected);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return bad(expected);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return bad(expected);
  if (url.pathname !== '/') {
    return bad(`${expected} without a path: the proxy forwards each request's own path (/api/...) unchanged, so a base path would be ignored`);
  }
  if (url.search !== '' || url.hash !== '') return bad(`${expected} without a query or fragment`);
  if (url.username !== '' || url.password !== '') {
    return bad(`${expected} without user:password@ — credentials in the URL would never be sent (the proxy forwards each client's own Authorization header; discovery uses CASSIA_AC_KEY / CASSIA_AC_SECRET)`);
  }
  return ok(url);
}

/** Hides userinfo credentials in a URL (even one that does not parse): `https://u:***@host`. */
export function maskUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@?#]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

/** A positive rate (e.g. probes per second) up to `max`; decimals allowed (`0.5` = one every 2 s). */
export function parseRate(value: unknown, max: number): Parsed<number> {
  const expected = `a number greater than 0 and at most ${max} (decimals allowed, e.g. 0.5)`;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 && n <= max ? ok(n) : bad(expected);
}

/**
 * The read-only calls a probe may make: answered by the gateway itself (so they travel the
 * CAPWAP or MQTT link both ways), never an event stream, never anything that changes a device.
 */
export const PROBE_CALLS: Readonly<Record<ProbeCall, { method: 'GET'; path: string; query: string }>> = {
  // The list of connected devices: cheap, and answered by every gateway model and firmware.
  'connected-devices': { method: 'GET', path: '/api/gap/nodes', query: 'connection_state=connected' },
  // Gateway information (model, uptime, chip state).
  info: { method: 'GET', path: '/api/cassia/info', query: '' },
};

/** A probe call as `METHOD /path?query&mac=…`, as docs and messages write it. */
export function describeProbeCall(call: ProbeCall): string {
  const { method, path, query } = PROBE_CALLS[call];
  return `${method} ${path}?${query === '' ? '' : `${query}&`}mac=…`;
}

/**
 * `connected-devices`, `info`, or the call written out (`GET /api/gap/nodes?connection_state=connected&mac=…`,
 * with or without the method and the `mac` parameter).
 */
export function parseProbeCall(value: unknown): Parsed<ProbeCall> {
  const names = Object.keys(PROBE_CALLS) as ProbeCall[];
  const expected = `one of ${names.map((n) => `${n} (${describeProbeCall(n)})`).join(', ')}: a read-only call the gateway answers, never an event stream`;
  if (typeof value !== 'string') return bad(expected);
  const byName = parseChoice(value, names);
  if (byName.ok) return byName;
  const written = /^\s*(?:GET\s+)?(\/\S*)\s*$/i.exec(value);
  if (!written) return bad(expected);
  const url = new URL(written[1] ?? '/', 'http://ac');
  url.searchParams.delete('mac');
  const found = names.find((n) => PROBE_CALLS[n].path === url.pathname.replace(/\/+$/, '') && PROBE_CALLS[n].query === url.searchParams.toString());
  return found === undefined ? bad(expected) : ok(found);
}
