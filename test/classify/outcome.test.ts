/**
 * The failure tables: every error code undici 7 can raise on the client side has a reason, the
 * reasons are the ones this file spells out, and the phase rules on top of them.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  FAILURE_REASONS, UNKNOWN_FAILURE_REASON, classifyFailure, failureCode, isKnownFailure, type Phase, type Reason,
} from '../../src/classify/outcome.js';

const require = createRequire(import.meta.url);
const undiciLib = join(require.resolve('undici/package.json'), '..', 'lib');

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsFiles(path) : name.endsWith('.js') ? [path] : [];
  });
}

/** Every `UND_ERR*` code written as a string literal anywhere in undici's lib/, and the llhttp error names as HPE_*. */
function undiciCodes(): string[] {
  const codes = new Set<string>();
  for (const file of jsFiles(undiciLib)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"`](UND_ERR[A-Z0-9_]*)/g)) codes.add(m[1] as string);
  }
  // `UND_ERR_SOCKS5_REPLY_${reply}`: the SOCKS5 reply codes 1 to 8.
  codes.delete('UND_ERR_SOCKS5_REPLY_');
  for (let n = 1; n <= 8; n++) codes.add(`UND_ERR_SOCKS5_REPLY_${n}`);
  // HTTPParserError has no usable code; its symbol's name stands for it.
  codes.add('UND_ERR_HTTP_PARSER');
  const llhttp = require(join(undiciLib, 'llhttp', 'constants.js')) as { ERROR: Record<string, number> };
  for (const name of Object.keys(llhttp.ERROR)) if (name !== 'OK') codes.add(`HPE_${name}`);
  return [...codes].sort();
}

/** The reason expected before response headers, code by code (the table under test, written out again). */
const EXPECTED: Record<string, Reason> = {
  UND_ERR: 'upstream_reset',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'headers_timeout',
  UND_ERR_HEADERS_OVERFLOW: 'bad_response',
  UND_ERR_BODY_TIMEOUT: 'stream_idle_timeout',
  UND_ERR_INVALID_ARG: 'bad_request',
  UND_ERR_INVALID_RETURN_VALUE: 'upstream_reset',
  UND_ERR_ABORT: 'client_abort',
  UND_ERR_ABORTED: 'client_abort',
  UND_ERR_INFO: 'upstream_reset',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'client_abort',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'bad_response',
  UND_ERR_DESTROYED: 'shutdown',
  UND_ERR_CLOSED: 'shutdown',
  UND_ERR_SOCKET: 'upstream_reset',
  UND_ERR_NOT_SUPPORTED: 'bad_request',
  UND_ERR_BPL_MISSING_UPSTREAM: 'connect_error',
  UND_ERR_HTTP_PARSER: 'bad_response',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'bad_response',
  UND_ERR_REQ_RETRY: 'upstream_reset',
  UND_ERR_RESPONSE: 'upstream_reset',
  UND_ERR_PRX_TLS: 'connect_error',
  UND_ERR_MAX_ORIGINS_REACHED: 'connect_error',
  UND_ERR_WS_MESSAGE_SIZE_EXCEEDED: 'upstream_reset',
  UND_ERR_SOCKS5: 'connect_error',
  UND_ERR_SOCKS5_VERSION: 'connect_error',
  UND_ERR_SOCKS5_AUTH_REJECTED: 'connect_error',
  UND_ERR_SOCKS5_AUTH_METHOD: 'connect_error',
  UND_ERR_SOCKS5_AUTH_VERSION: 'connect_error',
  UND_ERR_SOCKS5_AUTH_FAILED: 'connect_error',
  UND_ERR_SOCKS5_REPLY_VERSION: 'connect_error',
  UND_ERR_SOCKS5_ADDR_TYPE: 'connect_error',
  ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [`UND_ERR_SOCKS5_REPLY_${n}`, 'connect_error'])),
  ...Object.fromEntries([
    'INTERNAL', 'STRICT', 'CR_EXPECTED', 'LF_EXPECTED', 'UNEXPECTED_CONTENT_LENGTH', 'UNEXPECTED_SPACE',
    'CLOSED_CONNECTION', 'INVALID_METHOD', 'INVALID_URL', 'INVALID_CONSTANT', 'INVALID_VERSION',
    'INVALID_HEADER_TOKEN', 'INVALID_CONTENT_LENGTH', 'INVALID_CHUNK_SIZE', 'INVALID_STATUS',
    'INVALID_EOF_STATE', 'INVALID_TRANSFER_ENCODING', 'CB_MESSAGE_BEGIN', 'CB_HEADERS_COMPLETE',
    'CB_MESSAGE_COMPLETE', 'CB_CHUNK_HEADER', 'CB_CHUNK_COMPLETE', 'PAUSED', 'PAUSED_UPGRADE',
    'PAUSED_H2_UPGRADE', 'USER', 'CB_URL_COMPLETE', 'CB_STATUS_COMPLETE', 'CB_METHOD_COMPLETE',
    'CB_VERSION_COMPLETE', 'CB_HEADER_FIELD_COMPLETE', 'CB_HEADER_VALUE_COMPLETE',
    'CB_CHUNK_EXTENSION_NAME_COMPLETE', 'CB_CHUNK_EXTENSION_VALUE_COMPLETE', 'CB_RESET', 'CB_PROTOCOL_COMPLETE',
  ].map((name) => [`HPE_${name}`, 'bad_response'])),
  ERR_INVALID_CHAR: 'bad_response',
  ERR_INVALID_HTTP_TOKEN: 'bad_response',
  ERR_HTTP_INVALID_HEADER_VALUE: 'bad_response',
  ERR_HTTP_INVALID_STATUS_CODE: 'bad_response',
  ECONNRESET: 'upstream_reset',
  EPIPE: 'upstream_reset',
  ETIMEDOUT: 'upstream_reset',
  ECONNABORTED: 'upstream_reset',
  ENOTCONN: 'upstream_reset',
  EHOSTUNREACH: 'upstream_reset',
  ENETUNREACH: 'upstream_reset',
  ENETDOWN: 'upstream_reset',
  ECONNREFUSED: 'connect_error',
};

const STATUS: Record<Reason, number> = {
  response: 0, body_reset: 0, connect_error: 502, connect_timeout: 504, headers_timeout: 504, upstream_reset: 502,
  bad_response: 502, stream_idle_timeout: 504, client_abort: 499, bad_request: 400, body_timeout: 408, shutdown: 503,
};

describe('the failure table', () => {
  it('has a row for every error code undici raises (read from its lib/ and llhttp constants)', () => {
    const codes = undiciCodes();
    expect(codes.length).toBeGreaterThan(60);
    expect(codes.filter((c) => !FAILURE_REASONS.has(c))).toEqual([]);
  });

  it('holds exactly the rows this test spells out', () => {
    expect([...FAILURE_REASONS.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s before headers → %s', (code, reason) => {
    expect(FAILURE_REASONS.get(code)).toBe(reason);
    const outcome = classifyFailure({ code: code === 'UND_ERR_HTTP_PARSER' ? undefined : code, name: code === 'UND_ERR_HTTP_PARSER' ? 'HTTPParserError' : 'Error', message: 'x' }, 'headers');
    expect(outcome).toEqual({ reason, status: STATUS[reason], origin: reason === 'client_abort' ? 'client' : 'proxy' });
    expect(isKnownFailure(failureCode({ code }))).toBe(true);
  });

  it.each(Object.keys(EXPECTED))('%s after headers → body_reset (stream_idle_timeout for the body timeout), status already sent', (code) => {
    const outcome = classifyFailure({ code, message: 'x' }, 'body', 200);
    expect(outcome).toEqual(code === 'UND_ERR_BODY_TIMEOUT'
      ? { origin: 'proxy', reason: 'stream_idle_timeout', status: 200 }
      : { origin: 'upstream', reason: 'body_reset', status: 200 });
  });
});

describe('classifyFailure (phase rules and undici specifics)', () => {
  it.each<[string | undefined, string | undefined, string, Phase, number, string, string]>([
    ['ECONNREFUSED', undefined, 'connect ECONNREFUSED', 'connect', 502, 'proxy', 'connect_error'],
    ['ENOTFOUND', undefined, 'getaddrinfo ENOTFOUND ac', 'connect', 502, 'proxy', 'connect_error'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', undefined, 'self signed certificate', 'connect', 502, 'proxy', 'connect_error'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', undefined, 'wrong version number', 'connect', 502, 'proxy', 'connect_error'],
    ['ECONNRESET', undefined, 'socket hang up', 'connect', 502, 'proxy', 'connect_error'],
    ['UND_ERR_CONNECT_TIMEOUT', undefined, 'Connect Timeout Error', 'connect', 504, 'proxy', 'connect_timeout'],
    ['ETIMEDOUT', undefined, 'connect ETIMEDOUT', 'connect', 504, 'proxy', 'connect_timeout'],
    ['UND_ERR_DESTROYED', undefined, 'The client is destroyed', 'connect', 503, 'proxy', 'shutdown'],
    ['UND_ERR_HEADERS_TIMEOUT', undefined, 'Headers Timeout Error', 'headers', 504, 'proxy', 'headers_timeout'],
    ['UND_ERR_SOCKET', undefined, 'other side closed', 'headers', 502, 'proxy', 'upstream_reset'],
    ['ECONNRESET', undefined, 'read ECONNRESET', 'headers', 502, 'proxy', 'upstream_reset'],
    // undici's answer to an interim 100 Continue: it closes the connection, no final response comes.
    ['UND_ERR_SOCKET', 'SocketError', 'bad response', 'headers', 502, 'proxy', 'upstream_reset'],
    ['UND_ERR_SOCKET', 'SocketError', 'bad upgrade', 'headers', 502, 'proxy', 'bad_response'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', undefined, 'Response body length does not match content-length header', 'headers', 502, 'proxy', 'bad_response'],
    ['HPE_INVALID_CONSTANT', 'HTTPParserError', 'Expected HTTP/', 'headers', 502, 'proxy', 'bad_response'],
    [undefined, 'HTTPParserError', 'Response does not match the HTTP/1.1 protocol', 'headers', 502, 'proxy', 'bad_response'],
    ['ERR_INVALID_CHAR', 'TypeError', 'Invalid character in header content', 'headers', 502, 'proxy', 'bad_response'],
    ['UND_ERR_BODY_TIMEOUT', undefined, 'Body Timeout Error', 'body', 200, 'proxy', 'stream_idle_timeout'],
    ['UND_ERR_SOCKET', undefined, 'other side closed', 'body', 200, 'upstream', 'body_reset'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', undefined, 'mismatch', 'body', 200, 'upstream', 'body_reset'],
  ])('%s (%s, %s) in %s phase', (code, name, message, phase, status, origin, reason) => {
    expect(classifyFailure({ code, name, message }, phase, 200)).toEqual({ status, origin, reason });
  });

  it(`an unknown code before headers is ${UNKNOWN_FAILURE_REASON} (502), and known as unknown`, () => {
    expect(classifyFailure({ code: 'ERR_SOMETHING_NEW', message: 'x' }, 'headers')).toEqual({ origin: 'proxy', reason: UNKNOWN_FAILURE_REASON, status: 502 });
    expect(classifyFailure({ message: 'no code at all' }, 'headers')).toEqual({ origin: 'proxy', reason: UNKNOWN_FAILURE_REASON, status: 502 });
    expect(isKnownFailure('ERR_SOMETHING_NEW')).toBe(false);
    expect(isKnownFailure(failureCode({ message: 'no code' }))).toBe(false);
  });
});
