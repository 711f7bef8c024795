/**
 * The process logger: pino JSON lines. Secrets are redacted by the logger configuration
 * itself, not at each call site: Authorization headers (Bearer tokens, Basic credentials),
 * `access_token` values wherever they appear as a field, and config secrets. Request URLs are
 * never logged with their query string (see the access log), so `?access_token=` cannot leak.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

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

/** Options shared by every logger the proxy creates (tests pass their own destination). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { app: 'cassia-ac-proxy' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: errSerializer, error: errSerializer },
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** A logger writing to `destination` (default: stdout, asynchronously buffered). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: false }));
}
