/**
 * What happened to one exchange: who produced the status the client saw (origin), why
 * (reason), and which status that was (code). Pure; the table is the outcome table of
 * docs/reference.md.
 *
 * Matching is on error codes, never `instanceof`: undici's own docs advise it because two copies
 * of undici can be loaded (lib/core/errors.js gives every failure a stable `UND_ERR_*` code).
 */
import type { Origin } from '../vocabulary.js';

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
  readonly origin: Origin;
  readonly reason: Reason;
  /** Status the client saw: the proxy's own 502/504 before headers, the upstream's after, 499 for a client abort. */
  readonly status: number;
}

/** Status recorded for exchanges the client abandoned (nginx's convention; never sent). */
export const CLIENT_CLOSED_STATUS = 499;

/** Who produced the status, and which status the client saw, for each failure reason before response headers. */
const FAILURE_ANSWER: Readonly<Record<Exclude<Reason, 'response' | 'body_reset'>, { origin: Origin; status: number }>> = {
  connect_error: { origin: 'proxy', status: 502 },
  connect_timeout: { origin: 'proxy', status: 504 },
  headers_timeout: { origin: 'proxy', status: 504 },
  upstream_reset: { origin: 'proxy', status: 502 },
  bad_response: { origin: 'proxy', status: 502 },
  stream_idle_timeout: { origin: 'proxy', status: 504 },
  client_abort: { origin: 'client', status: CLIENT_CLOSED_STATUS },
  bad_request: { origin: 'proxy', status: 400 },
  body_timeout: { origin: 'proxy', status: 408 },
  shutdown: { origin: 'proxy', status: 503 },
};

/** What a code stands for when nobody knows it: no answer came, nothing more is known. */
export const UNKNOWN_FAILURE_REASON = 'upstream_reset' satisfies Reason;

/**
 * llhttp's error names (undici's lib/llhttp/constants.js `ERROR`): undici's HTTPParserError
 * would carry them as `HPE_<name>`. undici 7 looks the name up by number in a map keyed by name,
 * so in practice its `code` is undefined and `UND_ERR_HTTP_PARSER` (its error symbol's name)
 * stands for every one of them.
 */
const LLHTTP_ERRORS = [
  'INTERNAL', 'STRICT', 'CR_EXPECTED', 'LF_EXPECTED', 'UNEXPECTED_CONTENT_LENGTH', 'UNEXPECTED_SPACE',
  'CLOSED_CONNECTION', 'INVALID_METHOD', 'INVALID_URL', 'INVALID_CONSTANT', 'INVALID_VERSION',
  'INVALID_HEADER_TOKEN', 'INVALID_CONTENT_LENGTH', 'INVALID_CHUNK_SIZE', 'INVALID_STATUS',
  'INVALID_EOF_STATE', 'INVALID_TRANSFER_ENCODING', 'CB_MESSAGE_BEGIN', 'CB_HEADERS_COMPLETE',
  'CB_MESSAGE_COMPLETE', 'CB_CHUNK_HEADER', 'CB_CHUNK_COMPLETE', 'PAUSED', 'PAUSED_UPGRADE',
  'PAUSED_H2_UPGRADE', 'USER', 'CB_URL_COMPLETE', 'CB_STATUS_COMPLETE', 'CB_METHOD_COMPLETE',
  'CB_VERSION_COMPLETE', 'CB_HEADER_FIELD_COMPLETE', 'CB_HEADER_VALUE_COMPLETE',
  'CB_CHUNK_EXTENSION_NAME_COMPLETE', 'CB_CHUNK_EXTENSION_VALUE_COMPLETE', 'CB_RESET', 'CB_PROTOCOL_COMPLETE',
] as const;

/**
 * The reason for a failure before response headers reached the client, by error code: every
 * code undici 7 raises on the client side (lib/core/errors.js and the SOCKS5 client), llhttp's
 * parser errors, node's own header validation (writeHead on the upstream's headers) and the
 * system errors of an established connection. After headers, every failure is `body_reset`
 * except `UND_ERR_BODY_TIMEOUT` (`stream_idle_timeout`); while connecting, `connect_error`
 * except the timeouts (`connect_timeout`) and a pool closed under the request (`shutdown`).
 */
export const FAILURE_REASONS: ReadonlyMap<string, Reason> = new Map<string, Reason>([
  // undici's own errors
  ['UND_ERR', 'upstream_reset'], // the base UndiciError, never raised bare
  ['UND_ERR_CONNECT_TIMEOUT', 'connect_timeout'],
  ['UND_ERR_HEADERS_TIMEOUT', 'headers_timeout'],
  ['UND_ERR_HEADERS_OVERFLOW', 'bad_response'], // response headers larger than undici's maxHeaderSize
  ['UND_ERR_BODY_TIMEOUT', 'stream_idle_timeout'], // armed only once headers arrived
  ['UND_ERR_INVALID_ARG', 'bad_request'], // the request cannot be sent as it is (undici refuses a header or method)
  ['UND_ERR_INVALID_RETURN_VALUE', 'upstream_reset'], // stream()/pipeline() API only, not dispatch
  ['UND_ERR_ABORT', 'client_abort'], // an AbortSignal fired
  ['UND_ERR_ABORTED', 'client_abort'], // the request body stream closed before its end: the client went away
  ['UND_ERR_INFO', 'upstream_reset'], // informational socket ends (reset, idle timeout) that reached a request
  ['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'client_abort'], // the client's body ended short of its Content-Length
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'bad_response'], // two different Content-Lengths, Content-Length with chunked, or a short body
  ['UND_ERR_DESTROYED', 'shutdown'], // the pool was destroyed under the request
  ['UND_ERR_CLOSED', 'shutdown'], // the pool was closed before the request was dispatched
  ['UND_ERR_SOCKET', 'upstream_reset'], // refined by SOCKET_ERROR_REASONS
  ['UND_ERR_NOT_SUPPORTED', 'bad_request'], // e.g. an Expect header (the proxy strips it)
  ['UND_ERR_BPL_MISSING_UPSTREAM', 'connect_error'], // BalancedPool without upstreams
  ['UND_ERR_HTTP_PARSER', 'bad_response'], // HTTPParserError, recognised by name (see LLHTTP_ERRORS)
  ['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'bad_response'], // response larger than maxResponseSize
  ['UND_ERR_REQ_RETRY', 'upstream_reset'], // RetryHandler gave up (not used)
  ['UND_ERR_RESPONSE', 'upstream_reset'], // responseError interceptor (not used: error statuses are forwarded)
  ['UND_ERR_PRX_TLS', 'connect_error'], // TLS to a forward proxy
  ['UND_ERR_MAX_ORIGINS_REACHED', 'connect_error'], // Agent maxOrigins
  ['UND_ERR_WS_MESSAGE_SIZE_EXCEEDED', 'upstream_reset'], // WebSocket only
  // the SOCKS5 client (a forward proxy in front of the AC): the AC was not reached
  ['UND_ERR_SOCKS5', 'connect_error'],
  ['UND_ERR_SOCKS5_VERSION', 'connect_error'],
  ['UND_ERR_SOCKS5_AUTH_REJECTED', 'connect_error'],
  ['UND_ERR_SOCKS5_AUTH_METHOD', 'connect_error'],
  ['UND_ERR_SOCKS5_AUTH_VERSION', 'connect_error'],
  ['UND_ERR_SOCKS5_AUTH_FAILED', 'connect_error'],
  ['UND_ERR_SOCKS5_REPLY_VERSION', 'connect_error'],
  ['UND_ERR_SOCKS5_ADDR_TYPE', 'connect_error'],
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n): [string, Reason] => [`UND_ERR_SOCKS5_REPLY_${n}`, 'connect_error']),
  // llhttp parser errors
  ...LLHTTP_ERRORS.map((name): [string, Reason] => [`HPE_${name}`, 'bad_response']),
  // node:http refused a header or status the upstream sent (writeHead validation)
  ['ERR_INVALID_CHAR', 'bad_response'],
  ['ERR_INVALID_HTTP_TOKEN', 'bad_response'],
  ['ERR_HTTP_INVALID_HEADER_VALUE', 'bad_response'],
  ['ERR_HTTP_INVALID_STATUS_CODE', 'bad_response'],
  // an established connection that broke
  ['ECONNRESET', 'upstream_reset'],
  ['EPIPE', 'upstream_reset'],
  ['ETIMEDOUT', 'upstream_reset'],
  ['ECONNABORTED', 'upstream_reset'],
  ['ENOTCONN', 'upstream_reset'],
  ['EHOSTUNREACH', 'upstream_reset'],
  ['ENETUNREACH', 'upstream_reset'],
  ['ENETDOWN', 'upstream_reset'],
  ['ECONNREFUSED', 'connect_error'],
]);

/**
 * undici reuses UND_ERR_SOCKET with a message that says what happened. "bad response" is its
 * answer to an interim `100 Continue` (the proxy never asks for one: it strips Expect): it closes
 * the connection at once, so the exchange ends with no final response, as if the upstream had
 * closed (whether or not a final response would have followed).
 */
const SOCKET_ERROR_REASONS: ReadonlyMap<string, Reason> = new Map<string, Reason>([
  ['other side closed', 'upstream_reset'],
  ['closed', 'upstream_reset'],
  ['destroyed', 'upstream_reset'],
  ['bad response', 'upstream_reset'],
  ['bad upgrade', 'bad_response'], // 101 Switching Protocols the proxy did not ask for
  ['bad connect', 'bad_response'],
]);

const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** The parts of an error that classification looks at. */
export interface FailureInfo {
  code?: string | undefined;
  name?: string | undefined;
  message?: string | undefined;
}

/** The table key for an error: its code, or for undici's code-less HTTPParserError its symbol's name; '' for none. */
export function failureCode(err: FailureInfo): string {
  if (err.code) return err.code;
  return err.name === 'HTTPParserError' ? 'UND_ERR_HTTP_PARSER' : '';
}

/** Whether the failure tables know `code` (unknown ones fall back to UNKNOWN_FAILURE_REASON). */
export function isKnownFailure(code: string): boolean {
  return FAILURE_REASONS.has(code);
}

function answer(reason: Exclude<Reason, 'response' | 'body_reset'>): Outcome {
  const { origin, status } = FAILURE_ANSWER[reason];
  return { origin, reason, status };
}

/**
 * Classifies a failed exchange.
 * @param err the error: its `code` (undici `UND_ERR_*`, llhttp `HPE_*`, node `ERR_*` or a
 *   system errno code), `name` and `message` (undici reuses UND_ERR_SOCKET with several messages)
 * @param phase where the exchange was when it failed
 * @param upstreamStatus status already sent to the client (body phase only)
 */
export function classifyFailure(err: FailureInfo, phase: Phase, upstreamStatus = 0): Outcome {
  const code = failureCode(err);
  if (phase === 'body') {
    if (code === 'UND_ERR_BODY_TIMEOUT') return { origin: 'proxy', reason: 'stream_idle_timeout', status: upstreamStatus };
    return { origin: 'upstream', reason: 'body_reset', status: upstreamStatus };
  }
  let reason = FAILURE_REASONS.get(code) ?? UNKNOWN_FAILURE_REASON;
  if (code === 'UND_ERR_SOCKET') reason = SOCKET_ERROR_REASONS.get(err.message ?? '') ?? reason;
  if (phase === 'connect') {
    if (CONNECT_TIMEOUT_CODES.has(code)) return answer('connect_timeout');
    if (reason === 'shutdown' || reason === 'client_abort') return answer(reason);
    // Refused, DNS, unreachable, TLS handshake and certificate failures (their codes are
    // open-ended), or a socket that died before it could carry the request: the AC could not be reached.
    return answer('connect_error');
  }
  return answer(reason === 'response' || reason === 'body_reset' ? UNKNOWN_FAILURE_REASON : reason);
}

/** Outcomes of answered exchanges, one per status code. */
const answered = new Map<number, Outcome>();

/** The outcome of an exchange the upstream answered. */
export function upstreamAnswered(status: number): Outcome {
  // One shared object per status: this runs for every exchange.
  let outcome = answered.get(status);
  if (outcome === undefined) {
    outcome = Object.freeze({ origin: 'upstream', reason: 'response', status });
    if (answered.size < 1000) answered.set(status, outcome);
  }
  return outcome;
}

/** The outcome of an exchange the client abandoned, whatever phase it was in. */
export function clientAborted(): Outcome {
  return { origin: 'client', reason: 'client_abort', status: CLIENT_CLOSED_STATUS };
}
