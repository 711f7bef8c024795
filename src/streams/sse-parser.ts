/**
 * Incremental, byte-level Server-Sent-Events parser (WHATWG HTML §9.2.6 "event stream
 * interpretation"), built for a tap that sees a stream's chunks as they are forwarded.
 *
 * - Line ends: CR, LF or CRLF; a CR ending one chunk and an LF starting the next are one line end.
 * - Lines are decoded only once complete, so UTF-8 split across chunks is never mangled
 *   (a line never contains the bytes 0x0A/0x0D, which no multi-byte UTF-8 sequence uses).
 * - Memory is bounded: an event (all its lines) larger than `maxEventBytes` is reported once as
 *   `oversized` and its remaining bytes are skipped until the blank line that ends it.
 * - Keep-alives are reported, never as events, in the three forms seen in the wild:
 *   any comment line (`:keep-alive`, `:`), an event whose type is `keep-alive`/`keepalive`,
 *   and a short data payload (≤ 64 bytes) containing `keep-alive`/`keepalive` in any case
 *   (covers `data: keep-alive`, `data: "keep-alive"`, `data: {"keep-alive":1700000000}`).
 *   Real Cassia events are longer than 64 bytes or never contain that word.
 * - `id:` and `retry:` are ignored (Cassia documents neither); unknown fields are ignored.
 */

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** Default bound on one event's size. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
/** Data payloads up to this size are checked for keep-alive text. */
export const KEEPALIVE_DATA_MAX = 64;

/** The three keep-alive forms seen in the wild (see the module comment). */
export type KeepAliveForm = 'comment' | 'event' | 'data';

/** Receives what the parser finds; called synchronously from `write`. */
export interface SseHandler {
  /**
   * A complete event with non-empty data. The payload is the UTF-8 bytes `data[start, end)`;
   * the buffer may be the caller's chunk, so read it during the call and keep no reference.
   * `type` is the `event:` field, `''` when absent.
   */
  event(data: Buffer, start: number, end: number, type: string): void;
  /** A keep-alive, and the form it came in: a comment line, an `event: keep-alive`, a short data payload. */
  keepAlive(form: KeepAliveForm): void;
  /** An event exceeded `maxEventBytes`; it is skipped up to its end. */
  malformed(reason: 'oversized'): void;
}

/**
 * Where the lines of a stream sit, for a caller that changes bytes at exact places (the
 * sequence-request rewriter). Positions are stream offsets: bytes since the first one written.
 * Called synchronously from `write`, interleaved with the SseHandler calls in stream order.
 */
export interface SseLineObserver {
  /** A complete `data` line starting at `start`, its value at `value`, ending (before its line end) at `end`. */
  dataLine(start: number, value: number, end: number): void;
  /** A blank line at `at`: the event before it was just dispatched to the handler, or had no data. */
  blankLine(at: number): void;
}

export interface SseParser {
  /** Feeds the next chunk of the response body. */
  write(chunk: Buffer): void;
}

const EMPTY = Buffer.alloc(0);

/** Creates a parser for one stream; `opts.lines` also reports where data and blank lines sit. */
export function createSseParser(handler: SseHandler, opts: { maxEventBytes?: number; lines?: SseLineObserver } = {}): SseParser {
  const maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const lines = opts.lines ?? null;
  /** Stream offset of the chunk being parsed. */
  let consumed = 0;
  // Partial line carried over from previous chunks (copied: callers may reuse chunk memory).
  let carry: Buffer[] = [];
  let carryLen = 0;
  let crPending = false;
  let firstLine = true;
  // Current event.
  let eventBytes = 0;
  let skipping = false;
  let skipPartial = false;
  let type = '';
  let dataBuf: Buffer = EMPTY;
  let dataStart = 0;
  let dataEnd = 0;
  let dataLines = 0;
  let dataOwned = true;

  function resetEvent(): void {
    eventBytes = 0;
    skipping = false;
    type = '';
    dataBuf = EMPTY;
    dataStart = 0;
    dataEnd = 0;
    dataLines = 0;
    dataOwned = true;
  }

  function startSkipping(): void {
    skipping = true;
    dataBuf = EMPTY;
    dataLines = 0;
    carry = [];
    carryLen = 0;
    handler.malformed('oversized');
  }

  function dispatch(): void {
    if (skipping) {
      resetEvent();
      return;
    }
    const t = type;
    const buf = dataBuf;
    const s = dataStart;
    const e = dataEnd;
    const had = dataLines;
    resetEvent();
    if (t.length > 0 && isKeepAliveType(t)) handler.keepAlive('event');
    else if (had === 0 || e === s) return; // WHATWG: empty data buffer dispatches nothing
    else if (e - s <= KEEPALIVE_DATA_MAX && isKeepAliveData(buf, s, e)) handler.keepAlive('data');
    else handler.event(buf, s, e, t);
  }

  /** One complete line `b[s, e)` (no line terminator), ending at `eol` of the chunk being parsed. `owned`: b is ours to keep. */
  function line(b: Buffer, s: number, e: number, owned: boolean, eol: number): void {
    if (firstLine) {
      firstLine = false;
      if (e - s >= 3 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf) s += 3;
    }
    if (e === s) {
      dispatch();
      if (lines !== null) lines.blankLine(consumed + eol);
      return;
    }
    if (skipping) return;
    eventBytes += e - s + 1;
    if (eventBytes > maxEventBytes) {
      startSkipping();
      return;
    }
    if (b[s] === COLON) {
      handler.keepAlive('comment');
      return;
    }
    let colon = b.indexOf(COLON, s);
    if (colon === -1 || colon > e) colon = e;
    let v = colon + 1;
    if (v < e && b[v] === SPACE) v++;
    if (v > e) v = e;
    const nameLen = colon - s;
    if (nameLen === 4 && b[s] === 0x64 && b[s + 1] === 0x61 && b[s + 2] === 0x74 && b[s + 3] === 0x61) {
      appendData(b, v, e, owned);
      if (lines !== null) lines.dataLine(consumed + eol - (e - s), consumed + eol - (e - v), consumed + eol);
    } else if (nameLen === 5 && b.toString('latin1', s, colon) === 'event') {
      type = b.toString('utf8', v, e);
    }
  }

  function appendData(b: Buffer, s: number, e: number, owned: boolean): void {
    if (dataLines === 0) {
      dataBuf = b;
      dataStart = s;
      dataEnd = e;
      dataOwned = owned;
    } else {
      // Multi-line data is rare: join with '\n' into a fresh buffer.
      const prev = dataEnd - dataStart;
      const joined = Buffer.allocUnsafe(prev + 1 + (e - s));
      dataBuf.copy(joined, 0, dataStart, dataEnd);
      joined[prev] = LF;
      b.copy(joined, prev + 1, s, e);
      dataBuf = joined;
      dataStart = 0;
      dataEnd = joined.length;
      dataOwned = true;
    }
    dataLines++;
  }

  /** Line end found at `eol` in chunk; the line started at `s` (plus any carry). */
  function lineFromChunk(chunk: Buffer, s: number, eol: number): void {
    if (skipping) {
      const empty = eol === s && !skipPartial;
      skipPartial = false;
      if (empty) line(chunk, s, eol, false, eol);
      return;
    }
    if (carryLen === 0) {
      line(chunk, s, eol, false, eol);
      return;
    }
    carry.push(chunk.subarray(s, eol));
    const joined = Buffer.concat(carry, carryLen + (eol - s));
    carry = [];
    carryLen = 0;
    line(joined, 0, joined.length, true, eol);
  }

  function keepPartial(chunk: Buffer, s: number): void {
    const n = chunk.length - s;
    if (n === 0) return;
    if (skipping) {
      skipPartial = true;
      return;
    }
    if (eventBytes + carryLen + n > maxEventBytes) {
      startSkipping();
      skipPartial = true;
      return;
    }
    carry.push(Buffer.from(chunk.subarray(s)));
    carryLen += n;
  }

  return {
    write(chunk) {
      const len = chunk.length;
      let pos = 0;
      if (crPending) {
        crPending = false;
        if (len > 0 && chunk[0] === LF) pos = 1;
      }
      // Each search runs once per terminator passed; a chunk without CR costs one memchr for CR.
      let nextLF = chunk.indexOf(LF, pos);
      let nextCR = chunk.indexOf(CR, pos);
      while (pos < len) {
        if (nextLF !== -1 && nextLF < pos) nextLF = chunk.indexOf(LF, pos);
        if (nextCR !== -1 && nextCR < pos) nextCR = chunk.indexOf(CR, pos);
        let eol: number;
        if (nextCR >= 0 && (nextLF === -1 || nextCR < nextLF)) eol = nextCR;
        else if (nextLF !== -1) eol = nextLF;
        else break;
        const s = pos;
        pos = eol + 1;
        if (chunk[eol] === CR) {
          if (pos < len) {
            if (chunk[pos] === LF) pos++;
          } else {
            crPending = true;
          }
        }
        lineFromChunk(chunk, s, eol);
      }
      if (pos < len) keepPartial(chunk, pos);
      consumed += len;
      // An unfinished event may point into this chunk; copy it before the caller moves on.
      if (dataLines > 0 && !dataOwned) {
        dataBuf = Buffer.from(dataBuf.subarray(dataStart, dataEnd));
        dataStart = 0;
        dataEnd = dataBuf.length;
        dataOwned = true;
      }
    },
  };
}

function isKeepAliveType(t: string): boolean {
  const l = t.toLowerCase();
  return l === 'keep-alive' || l === 'keepalive';
}

function isKeepAliveData(b: Buffer, s: number, e: number): boolean {
  const text = b.toString('latin1', s, e).toLowerCase();
  return text.includes('keep-alive') || text.includes('keepalive');
}

/** What a client of an event stream wants: each event's text, and keep-alives. */
export interface SseTextHandler {
  event(text: string, type: string): void;
  keepAlive?(form: KeepAliveForm): void;
}

/**
 * The same parser for clients (the demo workload, tests, benchmarks): events decoded to text.
 * Oversized events are skipped, as the proxy's analysis skips them.
 */
export function createSseTextReader(handler: SseTextHandler, opts: { maxEventBytes?: number } = {}): { write(chunk: Uint8Array): void } {
  const parser = createSseParser({
    event: (data, start, end, type) => handler.event(data.toString('utf8', start, end), type),
    keepAlive: (form) => handler.keepAlive?.(form),
    malformed: () => undefined,
  }, opts);
  return {
    write: (chunk) => parser.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
  };
}
