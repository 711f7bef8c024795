/**
 * Upstream failures with an error code the outcome tables do not know: recorded with the default
 * reason, and each code logged once (warn) so that a new undici or node code gets noticed and
 * added to the table. The codes come from outside, so only a bounded number are remembered.
 */
import type { Logger } from 'pino';
import { UNKNOWN_FAILURE_REASON } from '../classify/outcome.js';

/** How many distinct unknown codes are logged at most. */
export const UNKNOWN_CODES_LOGGED = 100;

/** Returns the reporter: `(code, err)` logs the first time each code is seen. */
export function createUnknownFailureLog(log: Logger): (code: string, err: Error) => void {
  const seen = new Set<string>();
  return (code, err) => {
    if (seen.has(code) || seen.size >= UNKNOWN_CODES_LOGGED) return;
    seen.add(code);
    log.warn({ code: code || '(none)', err }, `upstream failure with an unknown error code, recorded as ${UNKNOWN_FAILURE_REASON} (logged once per code)`);
  };
}
