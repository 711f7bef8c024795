/** Test helpers: a raw HTTP + SSE client that counts exactly what came over the wire. */
import { request } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createSseTextReader, type KeepAliveForm } from '../../src/streams/sse-parser.js';

export const BASIC = (key = 'sim-key', secret = 'sim-secret'): string =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

/** Gets a token from the simulator. */
export async function getToken(url: string, key = 'sim-key', secret = 'sim-secret'): Promise<string> {
  const res = await fetch(`${url}/api/oauth2/token`, {
    method: 'POST',
    headers: { authorization: BASIC(key, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A parsed SSE stream. */
export interface WireStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: Array<Record<string, unknown>>;
  /** Every byte received (events and keep-alives), as UTF-8 text. */
  raw: string;
  /** The form of each keep-alive received: comment, event or data. */
  keepalives: KeepAliveForm[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/**
 * Opens an event stream with node:http and parses it with the product's SSE reader (all three keep-alive forms).
 * `headers` go on the request (e.g. `x-sim-stream-id` for byte accounting).
 */
export function openStream(url: string, onEvent?: (e: Record<string, unknown>) => void, headers: Record<string, string> = {}): Promise<WireStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let endResolve: () => void = () => undefined;
      const stream: WireStream = {
        status: res.statusCode ?? 0, headers: res.headers, events: [], raw: '', keepalives: [],
        ended: new Promise((r) => { endResolve = r; }),
        close: () => req.destroy(),
      };
      const reader = createSseTextReader({
        event(text) {
          const event = JSON.parse(text) as Record<string, unknown>;
          stream.events.push(event);
          onEvent?.(event);
        },
        keepAlive: (form) => { stream.keepalives.push(form); },
      });
      const text = new StringDecoder('utf8');
      res.on('data', (chunk: Buffer) => {
        stream.raw += text.write(chunk);
        reader.write(chunk);
      });
      res.on('end', () => endResolve());
      res.on('close', () => endResolve());
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads a sequence number from a scan event's adData: RuuviTag format 5 or Eddystone-TLM. */
export function scanCounter(adData: string): { value: number; modulus: number } | null {
  const bytes = Buffer.from(adData, 'hex');
  for (let i = 0; i + 1 < bytes.length;) {
    const len = bytes[i] ?? 0;
    const type = bytes[i + 1];
    const body = bytes.subarray(i + 2, i + 1 + len);
    if (type === 0xff && body.readUInt16LE(0) === 0x0499 && body[2] === 0x05) return { value: body.readUInt16BE(2 + 16), modulus: 65536 };
    if (type === 0x16 && body.readUInt16LE(0) === 0xfeaa && body[2] === 0x20) return { value: body.readUInt32BE(2 + 6), modulus: 2 ** 32 };
    i += len + 1;
  }
  return null;
}

/** Counts of what one client saw, by the stream-semantics definitions. */
export interface Observed { delivered: number; dropped: number; duplicated: number; reordered: number }

/**
 * Tracks sources of one connection: numbers unwrapped against the last one seen; a number seen
 * before is a duplicate, one below the highest and unseen is reordered, unseen numbers between
 * the first and the highest are dropped.
 */
export class WireCounter {
  readonly observed: Observed = { delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  private readonly sources = new Map<string, { last: number; lastRaw: number; seen: Set<number>; first: number; max: number }>();

  event(source: string | null, raw: number | null, modulus: number): void {
    this.observed.delivered++;
    if (source === null || raw === null) return;
    let s = this.sources.get(source);
    if (!s) {
      s = { last: raw, lastRaw: raw, seen: new Set([raw]), first: raw, max: raw };
      this.sources.set(source, s);
      return;
    }
    let diff = (raw - s.lastRaw) % modulus;
    if (diff < 0) diff += modulus;
    if (diff > modulus / 2) diff -= modulus;
    const n = s.last + diff;
    s.last = n;
    s.lastRaw = raw;
    if (s.seen.has(n)) this.observed.duplicated++;
    else if (n < s.max) this.observed.reordered++;
    s.seen.add(n);
    if (n > s.max) s.max = n;
  }

  /** Call once the connection ended. */
  finish(): Observed {
    for (const s of this.sources.values()) {
      for (let n = s.first; n <= s.max; n++) if (!s.seen.has(n)) this.observed.dropped++;
    }
    this.sources.clear();
    return this.observed;
  }
}
