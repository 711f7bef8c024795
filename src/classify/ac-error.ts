/**
 * What the AC said in an error answer, in the product's words (the `error` label): the body is
 * matched against Cassia's own texts (AC_ERROR_TEXTS of the vocabulary, each with its source).
 * Pure. Only short bodies are read at all: Cassia's error texts are a few words, its token answer
 * a small JSON object, so a body longer than AC_ERROR_MAX_BYTES is none of them (`other`).
 */
import { AC_ERROR_TEXTS, type AcError } from '../vocabulary.js';

/** Longest body that is read (the longest Cassia answer, the 403 token JSON, is 71 bytes). */
export const AC_ERROR_MAX_BYTES = 256;

/** Whether an answer with `status` is an error answer, the only ones classified. */
export function isErrorAnswer(status: number): boolean {
  return status >= 400;
}

/**
 * The word for an error answer with `status` whose whole body is `body` (decoded as latin1: the
 * texts are ASCII); `body` null when it was longer than AC_ERROR_MAX_BYTES and not read. The one
 * classification of what the AC said: the proxy's error-answer tap calls it, and so can anything
 * else that reads the AC's answers (the proxy's own probes, with the first AC_ERROR_MAX_BYTES of
 * their answer), so every figure speaks the same words.
 */
export function acErrorOf(status: number, body: string | null): AcError {
  if (body !== null && body.length > 0) {
    const text = body.toLowerCase();
    for (const row of AC_ERROR_TEXTS) if (text.includes(row.text)) return row.error;
  }
  // RFC 9110 §15.5.2 / §15.5.4: the AC refused the credentials, for a reason it did not spell out.
  return status === 401 || status === 403 ? 'forbidden' : 'other';
}
