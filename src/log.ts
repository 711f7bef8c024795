/**
 * The process logger: pino JSON lines. Secrets are redacted by the logger configuration
 * itself, not at each call site: Authorization headers (Bearer tokens, Basic credentials),
 * `access_token` values wherever they appear as a field, and config secrets. Request URLs are
 * never logged with their query string (see the access log), so `?access_token=` cannot leak.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { createLineWriter, type ByteFill, type LineWriter } from './log-writer.js';

/** Field paths censored in every log line. */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'access_token',
  'query.access_token',
  '*.access_token',
  'secret',
  '*.secret',
  'discovery.secret',
  'token',
  '*.token',
];

const ACCESS_TOKEN_RE = /([?&]access_token=)[^&#\s"]*/gi;
const BEARER_RE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const USERINFO_RE = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;

/** Masks secrets inside free text (error messages, URLs) that redaction paths cannot reach. */
export function scrubSecrets(text: string): string {
  return text.replace(ACCESS_TOKEN_RE, '$1[REDACTED]').replace(BEARER_RE, '$1 [REDACTED]').replace(USERINFO_RE, '$1[REDACTED]@');
}

function errSerializer(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (typeof serialized.message === 'string') serialized.message = scrubSecrets(serialized.message);
  if (typeof serialized.stack === 'string') serialized.stack = scrubSecrets(serialized.stack);
  return serialized;
}

let isoSecond = -1;
let isoPrefix = '';
let isoMs = -1;
let isoField = '';
/** `2026-12-03T17:12:32.`: an ISO time up to its milliseconds, for the whole second `second` (epoch s). */
export function isoSecondPrefix(second: number): string {
  // toISOString() of a whole second ends in `000Z`: keep up to the dot.
  return new Date(second * 1000).toISOString().slice(0, -4);
}

/** `123Z"` for each millisecond of a second, built once. */
const MS_SUFFIX = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z"`);

/**
 * pino's `isoTime` (`,"time":"2026-12-03T17:12:32.123Z"`), without a Date per line: the text up to
 * the seconds is built once a second, the milliseconds come from a table. Under load nearly every
 * line falls in a new millisecond, and `toISOString()` per line was a measurable part of the
 * per-request cost.
 */
export function cachedIsoTime(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    const second = Math.floor(now / 1000);
    if (second !== isoSecond) {
      isoSecond = second;
      isoPrefix = `,"time":"${isoSecondPrefix(second)}`;
    }
    isoField = isoPrefix + (MS_SUFFIX[now - second * 1000] as string);
  }
  return isoField;
}

/** Options shared by every logger the proxy creates (tests pass their own destination). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { app: 'cassia-ac-proxy' },
    timestamp: cachedIsoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: errSerializer, error: errSerializer },
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * stdout (or a file) for the proxy's logs: buffered and asynchronous (see log-writer.ts), flushed
 * at least every second so a quiet proxy's lines still show at once, and synchronously at exit.
 */
export function bufferedDestination(target: number | string = 1): pino.DestinationStream & LineWriter {
  const writer = createLineWriter(target);
  process.once('exit', () => writer.flushSync());
  return writer;
}

/** A logger writing to `destination` (default: stdout, buffered; see bufferedDestination). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? bufferedDestination(1));
}

/** Hands one line to the log's destination: `fill` writes at most `maxBytes` of UTF-8 (LineWriter.writeBytes). */
export type LineSink = <T>(maxBytes: number, fill: ByteFill<T>, item: T) => void;

/** Where a line goes: any pino destination; the buffered writer also reports what it dropped. */
export type LogDestination = pino.DestinationStream & Partial<Pick<LineWriter, 'dropped' | 'flush' | 'writeBytes'>>;

/**
 * The proxy's log: the pino logger for structured lines, and the same destination for lines
 * built elsewhere (the access log), so both come out in order in one stream.
 */
export interface LogOutput {
  readonly logger: Logger;
  /** Writes one complete line (with its newline) to the logger's destination. */
  lineBytes: LineSink;
  /** Lines the destination dropped because its reader could not keep up. */
  dropped(): number;
  /** Starts writing what is buffered. */
  flush(): void;
}

/** A log at `level` on `destination` (default: stdout, buffered). */
export function createLogOutput(level: string, destination: LogDestination = bufferedDestination(1)): LogOutput {
  const logger = pino(loggerOptions(level), destination);
  return {
    logger,
    lineBytes: destination.writeBytes
      ? (maxBytes, fill, item) => { destination.writeBytes?.(maxBytes, fill, item); }
      : (maxBytes, fill, item) => {
        // Any other pino destination (tests capture lines): through a string.
        const buf = Buffer.allocUnsafe(maxBytes);
        destination.write(buf.toString('utf8', 0, fill(buf, 0, item)));
      },
    dropped: () => destination.dropped?.() ?? 0,
    flush: () => destination.flush?.(),
  };
}
