/** Small helpers for answering requests and reading bodies with node:http only. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from './gateway.js';

/** A client that sends this header gets its exchange recorded for `GET /__sim/requests`. */
export const REQUEST_ID_HEADER = 'x-sim-request-id';

/** Size and SHA-256 (hex) of a body. */
export interface BodyDigest { bytes: number; sha256: string }

/**
 * One recorded exchange: the request body as the simulator read it (null when the handler never
 * read it, e.g. an injected 502), and the answer it sent (null until sent).
 */
export interface RequestRecord {
  method: string;
  path: string;
  requestBody: BodyDigest | null;
  status: number | null;
  responseBody: BodyDigest | null;
}

const records = new WeakMap<IncomingMessage, RequestRecord>();

/** Fills `record` as `req` is read and answered (the caller keeps it and bounds how many). */
export function recordRequest(req: IncomingMessage, record: RequestRecord): void {
  records.set(req, record);
}

function digest(body: Buffer | string): BodyDigest {
  return { bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
}

/** One request being answered; `g` is the gateway named by `mac`, whose truth counts the answer. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path after `/api`. */
  path: string;
  g: Gateway | null;
}

/**
 * The text of an error answer as the truth names it: a text body as it is, a JSON body's
 * `error_description` (else `error`), an HTML page's title.
 */
export function errorText(body: string, type: string): string {
  if (type.startsWith('application/json')) {
    try {
      const value = JSON.parse(body) as { error?: unknown; error_description?: unknown };
      const text = value.error_description ?? value.error;
      if (typeof text === 'string') return text;
    } catch {
      // Not JSON after all: named by its body below.
    }
  }
  if (type.startsWith('text/html')) return /<title>([^<]*)<\/title>/i.exec(body)?.[1] ?? body;
  return body;
}

/**
 * Counts an answer in the gateway's truth (with `body`, an error answer also by its text).
 * Skipped when the client has already gone.
 */
export function countAnswer(ex: Exchange, status: number, body?: string, type = 'text/plain'): boolean {
  if (ex.res.headersSent || ex.res.destroyed) return false;
  if (ex.g) {
    const r = ex.g.truth.requests;
    r.total++;
    if (status === 502) r['502']++;
    else if (status === 504) r['504']++;
    if (status >= 400 && body !== undefined) {
      const errors = ex.g.truth.errors;
      const text = errorText(body, type);
      errors[text] = (errors[text] ?? 0) + 1;
    }
  }
  return true;
}

/** Answers with a body; text by default (the AC answers `OK` and error texts as text/plain). */
export function send(ex: Exchange, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  if (!countAnswer(ex, status, body, type)) return;
  const record = records.get(ex.req);
  if (record) {
    record.status = status;
    record.responseBody = digest(body);
  }
  ex.res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  ex.res.end(body);
}

/** Answers JSON. */
export function sendJson(ex: Exchange, status: number, value: unknown): void {
  send(ex, status, typeof value === 'string' ? value : JSON.stringify(value), 'application/json; charset=utf-8');
}

/** What the AC's front web server answers when the gateway behind it fails (nginx style). */
export function gatewayErrorPage(status: 502 | 504): string {
  const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** Reads a request body up to 1 MiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 1 << 20) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const record = records.get(req);
      if (record) record.requestBody = digest(body);
      resolve(body.toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Parses a JSON or form body into a plain object; {} when empty or unparsable. */
export function parseBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (!text.trim()) return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    // Some clients send a form body without a content type.
    return text.includes('=') ? Object.fromEntries(new URLSearchParams(text)) : {};
  }
}

/** Resolves after `ms` (immediately for 0, without a timer). */
export function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
