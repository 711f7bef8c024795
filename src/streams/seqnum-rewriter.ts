/**
 * The client's side of a stream whose `sequence=2` the proxy added (sequence.request): every event
 * loses the top-level `seqNum` member the AC added for it, and nothing else changes — the client
 * gets the bytes the AC sends without `sequence=2`, whatever the chunk boundaries. The analysis tap
 * is fed the upstream's own bytes, so it sees every `seqNum`.
 *
 * Streaming, on the product's one SSE parser (with its line observer): bytes are passed on as soon
 * as they cannot belong to a member still to be cut. An event is held from the start of its first
 * `data:` line until its blank line (the AC writes an event whole, so in practice within one
 * chunk), and an unfinished line until its line end; comments, keep-alives and other lines between
 * events pass at once. Where an event is decided, the held bytes go out in order, minus the cut.
 *
 * Safety first: an event the rewriter cannot cut exactly — one that should carry `seqNum` and does
 * not, a member it cannot read or cut within one line, an event past `limits.maxEventBytes` — makes
 * it fall back for the rest of the stream: everything held and everything after goes out as the AC
 * sent it. Nothing is ever dropped or reordered; at worst the client sees `seqNum` members.
 */
import { findSeqNumMember, SEQNUM_ABSENT, SEQNUM_FOUND, type SeqNumMember } from './seqnum-member.js';
import { createSseParser } from './sse-parser.js';

/** Why a stream stopped being rewritten (the `reason` label of sequence_request_fallbacks_total). */
export type SequenceFallbackReason = 'no_seqnum' | 'unrewritable' | 'oversized';

/** Every fallback reason, for metrics and docs. */
export const SEQUENCE_FALLBACK_REASONS: readonly SequenceFallbackReason[] = ['no_seqnum', 'unrewritable', 'oversized'];

export interface SeqNumRewriterOptions {
  /**
   * `notification`: every event must carry `seqNum`. `combined`: only notification events must;
   * the others (state, scan, connection_state, ap_state) pass as they are.
   */
  kind: 'notification' | 'combined';
  /** The largest event held (limits.maxEventBytes); a larger one makes the rewriter fall back. */
  maxEventBytes: number;
  /** Called once, when the stream falls back; must not throw. */
  onFallback(reason: SequenceFallbackReason): void;
}

export interface SeqNumRewriter {
  /**
   * The bytes the client gets for the next chunk of the upstream body: `chunk` itself when nothing
   * changes, otherwise new bytes, possibly none while an event is unfinished.
   */
  write(chunk: Buffer): Buffer;
  /** The upstream body ended: the bytes still held (an unfinished line or event), unchanged. */
  end(): Buffer;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** Creates the rewriter for one stream. */
export function createSeqNumRewriter(opts: SeqNumRewriterOptions): SeqNumRewriter {
  const everyEvent = opts.kind === 'notification';
  let fellBack = false;
  /** Stream offset before which every byte is decided: passed on or cut. */
  let emitted = 0;
  /** Bytes from `emitted` up to `base`, undecided (a copy). */
  let held: Buffer = EMPTY;
  /** Stream offset of `chunk`, the chunk being written. */
  let base = 0;
  let chunk: Buffer = EMPTY;
  /** Stream offset where the line being received starts. */
  let lineStart = 0;
  /** Stream offset of the first data line of the event being received; -1 between events. */
  let eventStart = -1;
  /** The cut of the event being received, in stream offsets; -1 when none. */
  let cutFrom = -1;
  let cutTo = -1;
  /** The event's data lines (the first `lines` entries): where each value starts in the stream, and its length. */
  const valueAt: number[] = [];
  const valueLength: number[] = [];
  let lines = 0;
  /** What goes to the client for the chunk being written: stream ranges, as [from, to) pairs. */
  const ranges: number[] = [];
  let rangeCount = 0;
  const member: SeqNumMember = { from: -1, to: -1, notification: false };

  /** Queues the stream's bytes `[from, to)` for the client (copied from `held` and `chunk` in take()). */
  function pass(from: number, to: number): void {
    if (to <= from) return;
    ranges[rangeCount++] = from;
    ranges[rangeCount++] = to;
  }

  function fallBack(reason: SequenceFallbackReason): void {
    if (fellBack) return;
    fellBack = true;
    try {
      opts.onFallback(reason);
    } catch {
      // Accounting must never reach the bytes.
    }
  }

  /** The event's cut, mapped from payload offsets (data lines joined with LF) onto one line of the stream. */
  function placeCut(from: number, to: number): boolean {
    let at = 0;
    for (let k = 0; k < lines; k++) {
      const length = valueLength[k] ?? 0;
      const start = valueAt[k] ?? 0;
      if (from >= at && to <= at + length) {
        cutFrom = start + (from - at);
        cutTo = start + (to - at);
        return true;
      }
      at += length + 1;
    }
    return false;
  }

  const parser = createSseParser({
    event(data, start, end) {
      if (fellBack) return;
      const verdict = findSeqNumMember(data, start, end, member);
      if (verdict === SEQNUM_FOUND) {
        // A member split over two data lines has no exact cut: which line break would remain?
        if (!placeCut(member.from - start, member.to - start)) fallBack('unrewritable');
      } else if (verdict === SEQNUM_ABSENT) {
        if (everyEvent || member.notification) fallBack('no_seqnum');
      } else {
        fallBack('unrewritable');
      }
    },
    keepAlive() {},
    malformed() {
      fallBack('oversized');
    },
  }, {
    maxEventBytes: opts.maxEventBytes,
    lines: {
      dataLine(start, value, end) {
        if (fellBack) return;
        if (eventStart === -1) eventStart = start;
        valueAt[lines] = value;
        valueLength[lines] = end - value;
        lines++;
      },
      blankLine() {
        if (fellBack || eventStart === -1) return;
        if (cutFrom !== -1) {
          pass(emitted, cutFrom);
          emitted = cutTo;
          cutFrom = -1;
          cutTo = -1;
        }
        eventStart = -1;
        lines = 0;
      },
    },
  });

  /** The line being received starts after the chunk's last line end, if it has one. */
  function followLines(c: Buffer): void {
    const last = c[c.length - 1];
    if (last === LF || last === CR) {
      lineStart = base + c.length;
      return;
    }
    const at = Math.max(c.lastIndexOf(LF), c.lastIndexOf(CR));
    if (at !== -1) lineStart = base + at + 1;
  }

  /** The queued ranges as one buffer: the chunk itself when they are exactly it, else one copy. */
  function take(): Buffer {
    const count = rangeCount;
    rangeCount = 0;
    if (count === 0) return EMPTY;
    const heldStart = base - held.length;
    const first = ranges[0] ?? 0;
    if (count === 2 && first === base && ranges[1] === base + chunk.length) return chunk;
    let size = 0;
    for (let k = 0; k < count; k += 2) size += (ranges[k + 1] ?? 0) - (ranges[k] ?? 0);
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (let k = 0; k < count; k += 2) {
      const from = ranges[k] ?? 0;
      const to = ranges[k + 1] ?? 0;
      if (from < base) at += held.copy(out, at, from - heldStart, Math.min(to, base) - heldStart);
      if (to > base) at += chunk.copy(out, at, Math.max(from, base) - base, to - base);
    }
    return out;
  }

  return {
    write(c) {
      if (fellBack && held.length === 0) return c;
      if (c.length === 0) return EMPTY;
      chunk = c;
      if (!fellBack) parser.write(c);
      const end = base + c.length;
      let decided = end;
      if (!fellBack) {
        followLines(c);
        decided = eventStart !== -1 ? eventStart : lineStart;
      }
      if (decided > emitted) {
        pass(emitted, decided);
        emitted = decided;
      }
      const out = take();
      // What stays undecided is copied: the caller may reuse the chunk's memory.
      if (emitted >= end) held = EMPTY;
      else if (emitted >= base) held = Buffer.from(c.subarray(emitted - base));
      else held = Buffer.concat([held.subarray(emitted - (base - held.length)), c]);
      base = end;
      chunk = EMPTY;
      return out;
    },
    end() {
      const rest = held;
      held = EMPTY;
      emitted = base;
      return rest;
    },
  };
}
