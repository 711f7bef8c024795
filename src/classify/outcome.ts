/**
 * What happened to one exchange: who produced the status the client saw (origin), why
 * (reason), and which status that was (code). Pure; the table is the outcome table of
 * docs/reference.md.
 *
 * Matching is on error codes, never `instanceof`: undici's own docs advise it because two copies
 * of undici can be loaded (lib/core/errors.js gives every failure a stable `UND_ERR_*` code).
 */

export type Origin = 'upstream' | 'proxy' | 'client';

/**
 * Every reason, in the order of the outcome table (docs/reference.md). A const list rather than
 * a bare union so the reference test can check that each one is documented. `bad_request`: the
 * proxy refused the request itself (CONNECT, an unusable request target, a malformed request);
 * `body_timeout`: the client stopped sending its request body for `timeouts.clientBody` (408); `shutdown`: cut by
 * graceful shutdown after its deadline, or refused while shutting down.
 */
export const REASONS = [
  'response',
  'connect_error',
  'connect_timeout',
  'headers_timeout',
  'upstream_reset',
  'bad_response',
  'body_reset',
  'stream_idle_timeout',
  'client_abort',
  'bad_request',
  'body_timeout',
  'shutdown',
] as const;

export type Reason = (typeof REASONS)[number];

/**
 * The phase an exchange was in when it failed, as got (source/core/timed-out.ts) names them:
 * before a connection carried the request, waiting for response headers, or streaming the body.
 */
export type Phase = 'connect' | 'headers' | 'body';

export interface Outcome {
  origin: Origin;
  reason: Reason;
  /** Status the client saw: the proxy's own 502/504 before headers, the upstream's after, 499 for a client abort. */
  status: number;
}

/** Status recorded for exchanges the client abandoned (nginx's convention; never sent). */
export const CLIENT_CLOSED_STATUS = 499;

const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** The parts of an error that classification looks at. */
export interface FailureInfo {
  code?: string | undefined;
  name?: string | undefined;
  message?: string | undefined;
}

/**
 * The response itself could not be parsed: llhttp errors (`HPE_*`; undici's HTTPParserError
 * sometimes carries no code, hence the name), or undici's "bad response" socket error.
 */
function isBadResponse(code: string, err: FailureInfo): boolean {
  if (code.startsWith('HPE_') || err.name === 'HTTPParserError') return true;
  // node:http refused to pass on a header the upstream sent (writeHead validation).
  if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') return true;
  return code === 'UND_ERR_SOCKET' && err.message === 'bad response';
}

/**
 * Classifies a failed exchange.
 * @param err the error: its `code` (undici `UND_ERR_*`, llhttp `HPE_*`, or a system errno code),
 *   `name` and `message` (undici reuses UND_ERR_SOCKET for "bad response")
 * @param phase where the exchange was when it failed
 * @param upstreamStatus status already sent to the client (body phase only)
 */
export function classifyFailure(err: FailureInfo, phase: Phase, upstreamStatus = 0): Outcome {
  const c = err.code ?? '';
  if (phase === 'body') {
    if (c === 'UND_ERR_BODY_TIMEOUT') return { origin: 'proxy', reason: 'stream_idle_timeout', status: upstreamStatus };
    return { origin: 'upstream', reason: 'body_reset', status: upstreamStatus };
  }
  if (phase === 'connect') {
    if (CONNECT_TIMEOUT_CODES.has(c)) return { origin: 'proxy', reason: 'connect_timeout', status: 504 };
    // Refused, DNS, unreachable, TLS handshake and certificate failures, or a socket that died
    // before it could carry the request: the AC could not be reached.
    return { origin: 'proxy', reason: 'connect_error', status: 502 };
  }
  if (c === 'UND_ERR_HEADERS_TIMEOUT') return { origin: 'proxy', reason: 'headers_timeout', status: 504 };
  if (isBadResponse(c, err)) return { origin: 'proxy', reason: 'bad_response', status: 502 };
  return { origin: 'proxy', reason: 'upstream_reset', status: 502 };
}

/** The outcome of an exchange the upstream answered. */
export function upstreamAnswered(status: number): Outcome {
  return { origin: 'upstream', reason: 'response', status };
}

/** The outcome of an exchange the client abandoned, whatever phase it was in. */
export function clientAborted(): Outcome {
  return { origin: 'client', reason: 'client_abort', status: CLIENT_CLOSED_STATUS };
}
