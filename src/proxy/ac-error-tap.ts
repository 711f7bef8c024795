/**
 * The body tap of an error answer: keeps at most AC_ERROR_MAX_BYTES of the body the proxy
 * forwards (a copy; the client's bytes are never touched or held) and, when the answer ends, says
 * on the exchange what the AC said (`acError`). A longer body stops being kept at once and is
 * `other`, so a huge or endless error body costs a byte count, never a buffer.
 */
import { AC_ERROR_MAX_BYTES, acErrorOf } from '../classify/ac-error.js';
import type { StreamTap } from '../tap.js';
import type { AcError } from '../vocabulary.js';

/** Where the tap leaves its word: the exchange it reads for. */
export interface AcErrorNote {
  acError: AcError | null;
}

/** One error answer being read. */
export class AcErrorTap implements StreamTap {
  /** The body so far, allocated at its first byte (many error answers have one short chunk). */
  private bytes: Buffer | null = null;
  private size = 0;

  constructor(private readonly status: number, private readonly note: AcErrorNote) {}

  write(chunk: Buffer): void {
    const at = this.size;
    this.size = at + chunk.length;
    if (this.size > AC_ERROR_MAX_BYTES) {
      this.bytes = null;
      return;
    }
    (this.bytes ??= Buffer.allocUnsafe(AC_ERROR_MAX_BYTES)).set(chunk, at);
  }

  close(): void {
    const whole = this.size > AC_ERROR_MAX_BYTES ? null : (this.bytes?.toString('latin1', 0, this.size) ?? '');
    this.note.acError = acErrorOf(this.status, whole);
  }
}
