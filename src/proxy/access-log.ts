/**
 * The access log: one JSON line per exchange, in the same shape as the pino lines around it
 * (`level`, `time`, `app`, fields, `msg`), written straight into the log writer's buffer as bytes.
 *
 * Built by hand because it is on the hot path: through pino it cost ~13 µs of the proxy's CPU per
 * request (bench/run.mjs with and without it). As a template string, timed alone with a new
 * millisecond per line (as under load), it still cost ~3.5 µs: a Date and toISOString() for the
 * time, building the concatenation, flattening it when the batch was joined, encoding it again.
 * Here the parts that repeat (route and method, gateway and transport, outcome, stream end) are
 * encoded once (and joined per combination, see Joined) and copied, the time comes from the
 * exchange's own clock reading, the numbers are written digit by digit: no string per line at
 * all, ~1 µs in the same timing.
 *
 * That is safe only because every value comes from a closed set of ASCII tokens — route
 * templates, method and transport labels, a normalised MAC, outcome names, the word for what the
 * AC said (never its text), numbers — so nothing needs escaping and nothing can carry a secret:
 * never a header, the raw path (write paths carry values) or the query string (it may carry
 * `access_token`).
 */
import type { Logger } from 'pino';
import type { Outcome } from '../classify/outcome.js';
import { isoSecondPrefix, type LineSink } from '../log.js';
import { createLabelTree } from '../metrics/label-tree.js';
import { AC_ERRORS, type AcError } from '../vocabulary.js';
import type { ExchangeRecord } from './exchange-record.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Longest text a number field can take (`String()` of a double, e.g. `-1.2345678901234567e+308`). */
const NUMBER_MAX = 32;
const DURATION = bytes(',"durationMs":');
const BYTES_IN = bytes(',"bytesIn":');
const BYTES_OUT = bytes(',"bytesOut":');
const SEQUENCE_REQUESTED = bytes(',"sequenceRequested":true');
/** `,"acError":"<word>"` for each word: a closed set of ASCII tokens, like every other part. */
const AC_ERROR_FIELDS = new Map<AcError, Buffer>(AC_ERRORS.map((error) => [error, bytes(`,"acError":"${error}"`)]));

/** Copies `part` into `buf` at `off`; returns the end. */
function put(buf: Buffer, off: number, part: Buffer): number {
  buf.set(part, off);
  return off + part.length;
}

/** Writes a safe non-negative integer; returns the end. */
function putInt(buf: Buffer, off: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let i = off + digits;
  let rest = value;
  do {
    buf[--i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  } while (rest > 0);
  return off + digits;
}

/** A number as JSON text, the way `String(value)` writes it; integers digit by digit. */
function putNumber(buf: Buffer, off: number, value: number): number {
  if (Number.isSafeInteger(value) && value >= 0) return putInt(buf, off, value);
  return off + buf.write(String(value), off, 'latin1');
}

/**
 * ms to 0.1 ms as JSON text: enough for a log line, shorter than a float's 17 digits, and the same
 * text as `String(Math.round(ms * 10) / 10)`; written from two integers. Returns the end.
 */
export function putTenths(buf: Buffer, off: number, ms: number): number {
  const t = Math.round(ms * 10);
  // Whole numbers, and the odd ones out (-1 = no headers; never NaN, but safe): as String() has them.
  if (!(t > 0) || t % 10 === 0 || !Number.isSafeInteger(t)) return putNumber(buf, off, t / 10);
  const end = putInt(buf, off, Math.trunc(t / 10));
  buf[end] = 46; // .
  buf[end + 1] = 48 + (t % 10);
  return end + 2;
}

interface RouteParts {
  /** `Z","app":"cassia-ac-proxy","route":"R","method":"M","gateway":"` (closes the time). */
  head: Buffer;
  /** `,"msg":"M R ` */
  msg: Buffer;
}

interface OutcomeParts {
  /** `502,"origin":"upstream","reason":"response","headersMs":` (after `"code":`) */
  fields: Buffer;
  /** `502 upstream/response"}\n` (ends the line) */
  msg: Buffer;
}

/**
 * Parts joined once for a combination seen before, so a line is a few copies (each copy costs
 * ~50 ns whatever its length). Combinations are bounded (COMBINATIONS): past it lines are put
 * together from the single parts, as fast as before the cache, and memory stays bounded.
 */
const COMBINATIONS = 4096;

class Joined {
  private readonly heads = new Map<RouteParts, Map<Buffer, Map<OutcomeParts, Buffer>>>();
  private readonly tails = new Map<RouteParts, Map<OutcomeParts, Buffer>>();
  private size = 0;

  /** route.head + gateway + outcome.fields, or null once the bound is reached. */
  head(route: RouteParts, gateway: Buffer, outcome: OutcomeParts): Buffer | null {
    let byGateway = this.heads.get(route);
    let byOutcome = byGateway?.get(gateway);
    const found = byOutcome?.get(outcome);
    if (found !== undefined) return found;
    if (this.size >= COMBINATIONS) return null;
    if (byGateway === undefined) this.heads.set(route, (byGateway = new Map()));
    if (byOutcome === undefined) byGateway.set(gateway, (byOutcome = new Map()));
    const joined = Buffer.concat([route.head, gateway, outcome.fields]);
    byOutcome.set(outcome, joined);
    this.size++;
    return joined;
  }

  /** route.msg + outcome.msg, or null once the bound is reached. */
  tail(route: RouteParts, outcome: OutcomeParts): Buffer | null {
    let byOutcome = this.tails.get(route);
    const found = byOutcome?.get(outcome);
    if (found !== undefined) return found;
    if (this.size >= COMBINATIONS) return null;
    if (byOutcome === undefined) this.tails.set(route, (byOutcome = new Map()));
    const joined = Buffer.concat([route.msg, outcome.msg]);
    byOutcome.set(outcome, joined);
    this.size++;
    return joined;
  }
}

/** What one line is made of, gathered before the writer hands out the bytes. */
interface Line {
  /** `{"level":"info","time":"2026-11-27T05:52:04.` */
  second: Buffer;
  ms: number;
  route: RouteParts;
  gateway: Buffer;
  outcome: OutcomeParts;
  /** The three above joined (Joined.head), when cached. */
  head: Buffer | null;
  /** route.msg + outcome.msg (Joined.tail), when cached. */
  tail: Buffer | null;
  stream: Buffer | null;
  /** The proxy added `sequence=2` to the request. */
  sequenceRequested: boolean;
  /** `,"acError":"…"` of an error answer, else null. */
  acError: Buffer | null;
  headersMs: number;
  totalMs: number;
  bytesIn: number;
  bytesOut: number;
}

function fillLine(buf: Buffer, start: number, l: Line): number {
  let off = put(buf, start, l.second);
  buf[off] = 48 + Math.floor(l.ms / 100);
  buf[off + 1] = 48 + (Math.floor(l.ms / 10) % 10);
  buf[off + 2] = 48 + (l.ms % 10);
  off += 3;
  if (l.head !== null) {
    off = put(buf, off, l.head);
  } else {
    off = put(buf, off, l.route.head);
    off = put(buf, off, l.gateway);
    off = put(buf, off, l.outcome.fields);
  }
  off = putTenths(buf, off, l.headersMs);
  off = put(buf, off, DURATION);
  off = putTenths(buf, off, l.totalMs);
  off = put(buf, off, BYTES_IN);
  off = putNumber(buf, off, l.bytesIn);
  off = put(buf, off, BYTES_OUT);
  off = putNumber(buf, off, l.bytesOut);
  if (l.stream !== null) off = put(buf, off, l.stream);
  if (l.sequenceRequested) off = put(buf, off, SEQUENCE_REQUESTED);
  if (l.acError !== null) off = put(buf, off, l.acError);
  if (l.tail !== null) return put(buf, off, l.tail);
  off = put(buf, off, l.route.msg);
  return put(buf, off, l.outcome.msg);
}

/** Returns a function that writes one access line for a finished exchange, when `log` is at info or below. */
export function createAccessLog(log: Logger, sink: LineSink): (r: ExchangeRecord) => void {
  const routes = createLabelTree((route: string, method: string): RouteParts => ({
    head: bytes(`Z","app":"cassia-ac-proxy","route":"${route}","method":"${method}","gateway":"`),
    msg: bytes(`,"msg":"${method} ${route} `),
  }));
  const gateways = createLabelTree((label: string, transport: string): Buffer => bytes(`${label}","transport":"${transport}","code":`));
  const originReasons = createLabelTree((origin: Outcome['origin'], reason: string) => ({ origin, reason }));
  const outcomes = createLabelTree((status: number, { origin, reason }: { origin: string; reason: string }): OutcomeParts => ({
    fields: bytes(`${status},"origin":"${origin}","reason":"${reason}","headersMs":`),
    msg: bytes(`${status} ${origin}/${reason}"}\n`),
  }));
  const streams = createLabelTree((stream: string, end: string): Buffer => bytes(`,"stream":"${stream}","end":"${end}"`));
  const joined = new Joined();
  const none = Buffer.alloc(0);
  let second = -1;
  // One line object, reused: the sink fills it synchronously.
  const line: Line = {
    second: none, ms: 0, route: { head: none, msg: none }, gateway: none, outcome: { fields: none, msg: none }, head: null, tail: null,
    stream: null, sequenceRequested: false, acError: null, headersMs: 0, totalMs: 0, bytesIn: 0, bytesOut: 0,
  };

  return (r) => {
    if (!log.isLevelEnabled('info')) return;
    // The exchange's own end (one clock read for it all); a record without one gets the time now.
    const now = r.endedAt > 0 ? Math.floor(r.endedAt) : Date.now();
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      // pino's isoTime (cachedIsoTime), up to the milliseconds.
      line.second = bytes(`{"level":"info","time":"${isoSecondPrefix(s)}`);
    }
    line.ms = now - s * 1000;
    const route = routes.get(r.route, r.method);
    const gateway = gateways.get(r.gateway.label, r.gateway.transport);
    const o = r.outcome;
    const outcome = outcomes.get(o.status, originReasons.get(o.origin, o.reason));
    line.route = route;
    line.gateway = gateway;
    line.outcome = outcome;
    line.head = joined.head(route, gateway, outcome);
    line.tail = joined.tail(route, outcome);
    line.stream = r.stream === null ? null : streams.get(r.stream, r.streamEnd ?? '');
    line.sequenceRequested = r.sequenceRequested;
    line.acError = r.acError === null ? null : (AC_ERROR_FIELDS.get(r.acError) ?? null);
    line.headersMs = r.headersMs;
    line.totalMs = r.totalMs;
    line.bytesIn = r.bytesIn;
    line.bytesOut = r.bytesOut;
    const max = line.second.length + 3 + route.head.length + gateway.length + outcome.fields.length +
      DURATION.length + BYTES_IN.length + BYTES_OUT.length + 4 * NUMBER_MAX + (line.stream?.length ?? 0) +
      (line.sequenceRequested ? SEQUENCE_REQUESTED.length : 0) + (line.acError?.length ?? 0) +
      route.msg.length + outcome.msg.length;
    sink(max, fillLine, line);
  };
}
