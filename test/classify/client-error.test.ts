import { describe, expect, it } from 'vitest';
import { clientErrorAnswer } from '../../src/classify/client-error.js';

describe('clientErrorAnswer (node clientError codes)', () => {
  it.each<[string | undefined, number | null, string | null]>([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'headers_timeout'],
    ['HPE_HEADER_OVERFLOW', 431, 'headers_too_large'],
    ['HPE_INVALID_HEADER_TOKEN', 400, 'bad_request'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'bad_request'],
    ['HPE_INVALID_TRANSFER_ENCODING', 400, 'bad_request'],
    ['HPE_INVALID_CHUNK_SIZE', 400, 'bad_request'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 400, 'bad_request'],
    [undefined, 400, 'bad_request'],
    ['ECONNRESET', null, null],
    ['EPIPE', null, null],
    ['HPE_INVALID_EOF_STATE', null, null],
  ])('%s → %s %s', (code, status, reason) => {
    const answer = clientErrorAnswer(code);
    expect(answer === null ? [null, null] : [answer.status, answer.reason]).toEqual([status, reason]);
  });
});
