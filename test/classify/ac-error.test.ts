import { describe, expect, it } from 'vitest';
import { AC_ERROR_MAX_BYTES, acErrorOf, isErrorAnswer } from '../../src/classify/ac-error.js';
import { AC_ERROR_CAUSES, AC_ERROR_TEXTS, AC_ERRORS } from '../../src/vocabulary.js';

const TOKEN_BODY = '{"error":"forbidden","error_description":"Token not found or expired"}';

/** Answers as Cassia's gateways, the AC and the servers in front of it send them. */
const ANSWERS: Array<[number, string, string]> = [
  [500, 'chip is busy', 'chip_busy'],
  [500, 'no resources', 'no_resources'],
  [500, 'device not found', 'device_not_found'],
  [500, 'device not connect', 'device_not_connected'],
  [500, 'device not connected', 'device_not_connected'],
  [500, 'operation timeout', 'operation_timeout'],
  [500, 'connect failed', 'connect_failed'],
  [500, 'parameter invalid', 'parameter_invalid'],
  [500, 'hub not found', 'hub_not_found'],
  [502, 'gateway offline', 'gateway_offline'],
  [500, 'gateway is offline', 'gateway_offline'],
  [403, TOKEN_BODY, 'token_expired'],
  [403, '{"error":"forbidden","error_description":"no permission"}', 'forbidden'],
  [401, '{"error":"invalid_client","error_description":"Client authentication failed"}', 'forbidden'],
  [403, '', 'forbidden'],
  // Case, whitespace and a JSON wrapping of the same words.
  [500, 'Chip Is Busy\n', 'chip_busy'],
  [500, '{"error":"chip is busy"}', 'chip_busy'],
  [500, '  operation timeout  ', 'operation_timeout'],
  // Texts the page lists that are not words of their own, and what no row knows.
  [500, 'memory alloc error', 'other'],
  [500, 'chip is not ready', 'other'],
  [500, 'need pair operation', 'other'],
  [500, 'failure', 'other'],
  [500, '', 'other'],
  [404, 'Not Found', 'other'],
  [502, '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n', 'other'],
  [504, '<html><head><title>504 Gateway Time-out</title></head></html>', 'other'],
];

describe('acErrorOf', () => {
  it.each(ANSWERS)('%i %j → %s', (status, body, word) => {
    expect(acErrorOf(status, body)).toBe(word);
  });

  it.each([[500, 'other'], [502, 'other'], [403, 'forbidden'], [401, 'forbidden']] as const)(
    'a %i body too long to read is %s', (status, word) => {
      expect(acErrorOf(status, null)).toBe(word);
    });

  it('matches the token answer before the forbidden one it contains', () => {
    const token = AC_ERROR_TEXTS.findIndex((row) => row.error === 'token_expired');
    const forbidden = AC_ERROR_TEXTS.findIndex((row) => row.error === 'forbidden');
    expect(token).toBeGreaterThanOrEqual(0);
    expect(token).toBeLessThan(forbidden);
  });

  it('classifies only error answers', () => {
    expect([200, 204, 304, 399, 400, 403, 500, 504].map(isErrorAnswer)).toEqual([false, false, false, false, true, true, true, true]);
  });
});

describe('the classification table', () => {
  it('has lower-case texts (matched against the lower-cased body), each with a source', () => {
    for (const row of AC_ERROR_TEXTS) {
      expect(row.text).toBe(row.text.toLowerCase());
      expect(row.source.length, row.text).toBeGreaterThan(10);
    }
  });

  it('gives every word but other and forbidden-by-status a text, and every word a cause', () => {
    const worded = new Set(AC_ERROR_TEXTS.map((row) => row.error));
    expect(AC_ERRORS.filter((word) => !worded.has(word))).toEqual(['other']);
    expect(Object.keys(AC_ERROR_CAUSES).sort()).toEqual([...AC_ERRORS].sort());
  });

  it('fits every text in the bytes read', () => {
    expect(Buffer.byteLength(TOKEN_BODY)).toBeLessThanOrEqual(AC_ERROR_MAX_BYTES);
    for (const row of AC_ERROR_TEXTS) expect(row.text.length).toBeLessThan(AC_ERROR_MAX_BYTES);
  });
});
