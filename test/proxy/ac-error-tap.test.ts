import { describe, expect, it } from 'vitest';
import { AC_ERROR_MAX_BYTES } from '../../src/classify/ac-error.js';
import { AcErrorTap, type AcErrorNote } from '../../src/proxy/ac-error-tap.js';

const TOKEN_BODY = '{"error":"forbidden","error_description":"Token not found or expired"}';

/** Feeds `body` to a tap in chunks cut at `cuts` and returns the word it leaves. */
function tapWord(status: number, body: Buffer, cuts: number[]): string | null {
  const note: AcErrorNote = { acError: null };
  const tap = new AcErrorTap(status, note);
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    tap.write(body.subarray(at, cut));
    at = cut;
  }
  tap.close();
  return note.acError;
}

describe('AcErrorTap', () => {
  it.each([
    [403, TOKEN_BODY, 'token_expired'],
    [500, 'device not connect', 'device_not_connected'],
  ])('classifies %i %j the same at every split into two and three chunks', (status, text, word) => {
    const body = Buffer.from(text);
    for (let i = 0; i <= body.length; i++) {
      expect(tapWord(status, body, [i]), `split at ${i}`).toBe(word);
      for (let j = i; j <= body.length; j++) expect(tapWord(status, body, [i, j]), `split at ${i}, ${j}`).toBe(word);
    }
  });

  it('leaves a body without bytes to the status', () => {
    expect(tapWord(500, Buffer.alloc(0), [])).toBe('other');
    expect(tapWord(403, Buffer.alloc(0), [])).toBe('forbidden');
  });

  it('reads a body of exactly the bound and calls one byte more other, however it is cut', () => {
    const pad = (n: number): Buffer => Buffer.from(`chip is busy${' '.repeat(n - 12)}`);
    expect(tapWord(500, pad(AC_ERROR_MAX_BYTES), [100])).toBe('chip_busy');
    expect(tapWord(500, pad(AC_ERROR_MAX_BYTES + 1), [100])).toBe('other');
    expect(tapWord(500, pad(AC_ERROR_MAX_BYTES + 1), [AC_ERROR_MAX_BYTES])).toBe('other');
    expect(tapWord(500, pad(AC_ERROR_MAX_BYTES + 1), [1, 2, 3])).toBe('other');
  });

  it('keeps a copy: the forwarded chunk may be reused afterwards', () => {
    const note: AcErrorNote = { acError: null };
    const tap = new AcErrorTap(500, note);
    const chunk = Buffer.from('chip is busy');
    tap.write(chunk);
    chunk.fill(0x41);
    tap.close();
    expect(note.acError).toBe('chip_busy');
  });
});
