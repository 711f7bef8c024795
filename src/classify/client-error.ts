/**
 * Client-side failures: what the proxy answers when a client does not manage to send a usable
 * request, and the `reason` label of `client_errors_total`. Pure.
 */

/** The `reason` label values of `client_errors_total`. */
export const CLIENT_ERROR_REASONS = ['headers_timeout', 'headers_too_large', 'bad_request', 'body_timeout', 'connection_limit'] as const;
export type ClientErrorReason = (typeof CLIENT_ERROR_REASONS)[number];

export interface ClientErrorAnswer {
  status: number;
  reason: ClientErrorReason;
}

/**
 * What to answer for an error node:http reports on a client connection (its `clientError`
 * event), or null when the client itself went away (a reset, or the connection ended in the
 * middle of a request) and there is nobody to answer.
 *
 * - `ERR_HTTP_REQUEST_TIMEOUT`: headers not complete within `timeouts.clientHeaders` (node's
 *   `server.headersTimeout`; `requestTimeout` is off, so this is always the headers) → 408;
 * - `HPE_HEADER_OVERFLOW`: request line plus headers larger than node's `maxHeaderSize`
 *   (16 KiB), a huge URL included → 431;
 * - every other llhttp error (`HPE_*`: malformed request line, header or chunked body, request
 *   smuggling attempts such as Content-Length with Transfer-Encoding) → 400.
 */
export function clientErrorAnswer(code: string | undefined): ClientErrorAnswer | null {
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
    case 'HPE_INVALID_EOF_STATE': // the connection ended in the middle of a request: the client left
      return null;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'headers_timeout' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'headers_too_large' };
    default:
      return { status: 400, reason: 'bad_request' };
  }
}
