/**
 * One client request forwarded upstream: an undici dispatch handler that streams the response
 * straight into node's `res`, with backpressure both ways, and classifies how it ended.
 *
 * Decide before headers, record after: until response headers go out the proxy may still answer
 * 502/504 itself; afterwards a failure only truncates the stream (the client socket is destroyed),
 * so a client never mistakes a broken body for a complete one.
 */
import type { ServerResponse } from 'node:http';
import type { ClientErrorReason } from '../classify/client-error.js';
import type { Dispatcher } from 'undici';
import { classifyFailure, clientAborted, failureCode, isKnownFailure, upstreamAnswered, type Outcome, type Phase } from '../classify/outcome.js';
import type { GatewayHandle } from '../gateways/handle.js';
import { streamKindOf } from '../streams/stream-kind.js';
import type { SequenceFallbackReason } from '../streams/seqnum-rewriter.js';
import type { StreamTap } from '../tap.js';
import type { AcError, StreamKind } from '../vocabulary.js';
import { wallTime } from '../wall-clock.js';
import { sendProxyError } from './errors.js';
import { clientResponseHeaders, headerValue } from './headers.js';
import type { AcErrorNote } from './ac-error-tap.js';
import type { ExchangeRecord, StreamEnd } from './exchange-record.js';
import type { ExchangeRecorder } from './recorder.js';
import type { BodyWatcher } from './request-body.js';

/** What an exchange needs from the proxy around it (one per configuration generation). */
export interface ExchangeContext {
  recorder: ExchangeRecorder;
  /** Whether this generation writes access-log lines. */
  accessLog: boolean;
  /**
   * A tap for an SSE response, or null when analysis is off; must never throw. `sequenceRequested`:
   * the proxy added `sequence=2` to the request (sequence-request.ts).
   */
  openTap(kind: StreamKind, gateway: GatewayHandle, sequenceRequested: boolean): StreamTap | null;
  /**
   * A tap for a non-stream response body the proxy learns from (hub lists; what the AC said in an
   * error answer, left in `note.acError` when the answer ends), or null.
   */
  openBodyTap(route: string, status: number, note: AcErrorNote): StreamTap | null;
  /** The AC answered a call for a pending MAC: its own handle from now on (GatewayDirectory.vouch). */
  vouch(gateway: GatewayHandle): GatewayHandle;
  /** The exchange is over (for shutdown bookkeeping). */
  release(exchange: Exchange): void;
  /** The client caused a failure the proxy answered or cut (`client_errors_total`). */
  clientError(reason: ClientErrorReason): void;
  /** An upstream failure whose code the outcome tables do not know (classified with the default). */
  unknownFailure(code: string, err: Error): void;
  /**
   * ms a client may take no bytes at all while the proxy holds a response chunk for it
   * (`timeouts.streamIdle`); past it the client is cut (`client_stalled`).
   */
  clientStallMs: number;
  /** sequence.request of this generation: add `sequence=2` to notification and combined streams that lack it. */
  requestSequence: boolean;
  /** limits.maxEventBytes: the largest event a stream rewriter holds. */
  maxEventBytes: number;
  /** A stream whose `sequence=2` the proxy added stopped being rewritten (counted, logged once per stream). */
  sequenceFallback(kind: StreamKind, gateway: GatewayHandle, reason: SequenceFallbackReason): void;
}

/** What is known about a request when it is forwarded. */
export interface ExchangeStart {
  /** performance.now() when the request arrived. */
  started: number;
  route: string;
  /** Path without query, for the stream kind. */
  pathname: string;
  /** Method label value. */
  method: string;
  gateway: GatewayHandle;
}

/** The exchange answering on a response, for the listeners below (shared, not one closure per exchange). */
const kExchange = Symbol('exchange');
type ExchangeResponse = ServerResponse & { [kExchange]?: Exchange };

function onResponseClose(this: ExchangeResponse): void {
  this[kExchange]?.clientClosed();
}

function onResponseDrain(this: ExchangeResponse): void {
  this[kExchange]?.drained();
}

/** `outcome` of an exchange still running (never recorded: finish() sets the real one first). */
const NOT_FINISHED: Outcome = Object.freeze({ origin: 'proxy', reason: 'shutdown', status: 0 });

/** Error handed to undici's abort when the proxy itself cancels the upstream request. */
class CancelError extends Error {
  override name = 'CancelError';
  constructor(readonly why: 'client' | 'stalled' | 'shutdown') {
    super(why === 'client' ? 'client went away' : why === 'stalled' ? 'client took no bytes for timeouts.streamIdle' : 'proxy shutting down');
  }
}

/**
 * The per-request state machine; undici calls the `on*` methods (legacy handler API, undici's
 * native path), and the request body (request-body.ts) the BodyWatcher ones.
 */
export class Exchange implements Dispatcher.DispatchHandler, BodyWatcher, ExchangeRecord, AcErrorNote {
  private phase: Phase = 'connect';
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status = 0;
  private tap: StreamTap | null = null;
  private finished = false;
  private cancelled: CancelError | null = null;
  /** While the upstream is paused for the client: the watch for a client taking nothing. */
  private stallTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the client last took bytes while paused. */
  private stallProgressAt = 0;
  /** Bytes the proxy held for the client at that moment. */
  private stallHeld = 0;
  // The exchange is its own record (ExchangeRecord) for the recorder and the access log.
  readonly route: string;
  readonly method: string;
  /** Replaced by the gateway's own handle once the AC vouched for a pending MAC. */
  gateway: GatewayHandle;
  /** How it ended; set when it finishes. */
  outcome: Outcome = NOT_FINISHED;
  headersMs = -1;
  totalMs = -1;
  endedAt = 0;
  /** Request body bytes received from the client. */
  bytesIn = 0;
  bytesOut = 0;
  /** SSE stream kind once headers said `text/event-stream`. */
  stream: StreamKind | null = null;
  streamEnd: StreamEnd | null = null;
  /** Whether the proxy added `sequence=2` to the request (set by SequenceRequestExchange). */
  sequenceRequested = false;
  /** What the AC said, for an error answer: set by its body tap when the answer ends. */
  acError: AcError | null = null;
  private readonly started: number;
  private readonly pathname: string;
  /** Links of the proxy's in-flight list (server.ts); null when not in it. */
  prevInFlight: Exchange | null = null;
  nextInFlight: Exchange | null = null;

  constructor(
    protected readonly ctx: ExchangeContext,
    protected readonly res: ServerResponse,
    start: ExchangeStart,
  ) {
    this.started = start.started;
    this.route = start.route;
    this.pathname = start.pathname;
    this.method = start.method;
    this.gateway = start.gateway;
    (res as ExchangeResponse)[kExchange] = this;
    res.on('close', onResponseClose);
  }

  /** Cancels the upstream request because the proxy is shutting down. */
  shutdown(): void {
    this.cancel(new CancelError('shutdown'));
  }

  /** Whether this exchange answers on `res`. */
  answersOn(res: unknown): boolean {
    return this.res === res;
  }

  /**
   * The client broke its own request (a malformed or stalled body): answer `status` now if no
   * response has started (with `connection: close`: the rest of the request cannot be read),
   * otherwise cut the response; record the exchange and cancel the upstream request.
   */
  clientFailed(status: number, reason: ClientErrorReason & ('bad_request' | 'body_timeout')): void {
    if (this.finished) return;
    const cancel = new CancelError('client');
    this.cancelled = cancel;
    this.ctx.clientError(reason);
    const answered = !this.res.headersSent;
    if (answered) {
      const socket = this.res.socket;
      this.bytesOut += sendProxyError(this.res, status, reason, { connection: 'close' });
      this.res.once('finish', () => socket?.destroy());
      this.headersSent();
    } else {
      this.res.destroy();
    }
    this.finish({ origin: 'proxy', reason, status: answered ? status : this.status }, this.stream ? 'client_closed' : null);
    // undici calls onError (finished: nothing more to do) now, or from onConnect.
    this.abortUpstream?.(cancel);
  }

  bodyReceived(bytes: number): void {
    this.bytesIn += bytes;
  }

  bodyIdle(): boolean {
    if (this.finished) return true;
    // Never touch a response that is flowing (an event stream above all): once headers went
    // out, a slow request body is the upstream's business (its own timeouts), not the proxy's.
    if (this.res.headersSent) return false;
    this.clientFailed(408, 'body_timeout');
    return false;
  }

  bodyFailed(): void {
    // The client's connection went away mid-body: it is the client's doing, whatever undici
    // reports for the body it could not finish.
    this.cancel(new CancelError('client'));
  }

  /** The client's connection closed (res 'close'). */
  clientClosed(): void {
    if (!this.finished) this.cancel(new CancelError('client'));
  }

  /** The client took what the proxy held (res 'drain'). */
  drained(): void {
    this.stopStallWatch();
    this.resumeUpstream?.();
  }

  /**
   * The upstream is paused until the client takes what the proxy holds (at most one upstream
   * chunk plus the socket's write buffer). Reading slowly is fine: any progress of the client
   * connection (the held bytes shrinking) restarts the clock. A client that takes no byte at all
   * for `timeouts.streamIdle` is cut: it would hold the upstream stream open forever.
   */
  private startStallWatch(): void {
    if (this.stallTimer || this.ctx.clientStallMs <= 0) return;
    this.stallProgressAt = performance.now();
    this.stallHeld = this.res.writableLength;
    // A check a quarter of the limit apart (at most a second): only while paused, never per chunk.
    const every = Math.max(10, Math.min(1000, Math.floor(this.ctx.clientStallMs / 4)));
    this.stallTimer = setInterval(() => this.checkStall(), every);
    this.stallTimer.unref();
  }

  private stopStallWatch(): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = null;
  }

  private checkStall(): void {
    const held = this.res.writableLength;
    const now = performance.now();
    if (held < this.stallHeld) {
      this.stallHeld = held;
      this.stallProgressAt = now;
      return;
    }
    if (now - this.stallProgressAt < this.ctx.clientStallMs) return;
    this.stopStallWatch();
    if (this.finished || this.cancelled) return;
    // Cancel upstream (onError records the end as client_stalled), then reset the client's
    // connection: a plain close would queue the FIN behind the unread data in the kernel, so the
    // client would never see it and the kernel would keep the data for it.
    const socket = this.res.socket;
    this.cancel(new CancelError('stalled'));
    if (socket) socket.resetAndDestroy();
    else this.res.destroy();
  }

  private cancel(reason: CancelError): void {
    if (this.finished || this.cancelled) return;
    this.cancelled = reason;
    // Before onConnect there is nothing to abort yet; onConnect checks `cancelled`.
    this.abortUpstream?.(reason);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    this.phase = 'headers';
    if (this.cancelled) abort(this.cancelled);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx informational answers are not forwarded: node already handled 100-continue.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    // An answer below 400 shows the gateway exists: it gets its own label from this call on.
    if (this.gateway.pending !== null && statusCode < 400) this.gateway = this.ctx.vouch(this.gateway);
    const headers = clientResponseHeaders(rawHeaders);
    // node re-validates header names and values; one it refuses makes this throw, undici aborts,
    // and onError (still in the headers phase) answers 502 bad_response.
    if (statusText) this.res.writeHead(statusCode, statusText, headers);
    else this.res.writeHead(statusCode, headers);
    this.phase = 'body';
    this.headersSent();
    if (headerValue(headers, 'content-type')?.startsWith('text/event-stream')) this.startStream();
    else this.tap = this.ctx.openBodyTap(this.route, statusCode, this);
    return true;
  }

  protected startStream(): void {
    const kind = streamKindOf(this.pathname);
    this.stream = kind;
    // Headers now, not with the first event: an SSE client should know at once that it is connected.
    this.res.flushHeaders();
    this.ctx.recorder.streamStarted(kind, this.gateway);
    this.tap = this.ctx.openTap(kind, this.gateway, this.sequenceRequested);
  }

  onData(chunk: Buffer): boolean {
    return this.forward(chunk, chunk);
  }

  /** Sends `out` to the client and then shows the tap the upstream's own `chunk` (the same bytes, unless rewritten). */
  protected forward(out: Buffer, chunk: Buffer): boolean {
    this.bytesOut += out.length;
    // Nothing to send while a rewriter holds an unfinished event: the upstream may go on.
    const flowing = out.length === 0 || this.res.write(out);
    // The tap runs after the write: analysis never delays a byte.
    this.tap?.write(chunk);
    if (!flowing) {
      this.res.once('drain', onResponseDrain);
      if (this.stream) this.startStallWatch();
    }
    return flowing;
  }

  onComplete(): void {
    this.res.end();
    this.finish(upstreamAnswered(this.status), this.stream ? 'upstream_closed' : null);
  }

  onError(err: Error): void {
    if (this.finished) return;
    const cancelled = this.cancelled;
    if (cancelled?.why === 'stalled') {
      this.finish(upstreamAnswered(this.status), 'client_stalled');
      return;
    }
    if (cancelled?.why === 'client') {
      // After an SSE stream started, the client closing is the normal way a stream ends.
      if (this.stream) this.finish(upstreamAnswered(this.status), 'client_closed');
      else this.finish(clientAborted(), null);
      return;
    }
    if (cancelled?.why === 'shutdown') {
      if (this.stream) {
        this.res.end();
        this.finish(upstreamAnswered(this.status), 'shutdown');
      } else {
        this.res.destroy();
        this.finish({ origin: 'proxy', reason: 'shutdown', status: this.phase === 'body' ? this.status : 503 }, null);
      }
      return;
    }
    const info = err as Error & { code?: string };
    // While connecting, codes are open-ended (DNS, TLS, errno) and all mean connect_error.
    if (this.phase === 'headers' && !isKnownFailure(failureCode(info))) this.ctx.unknownFailure(failureCode(info), err);
    const outcome = classifyFailure(info, this.phase, this.status);
    if (this.phase === 'body') {
      // Headers are gone: truncate, so the client sees a broken transfer, never a fake success.
      this.res.destroy();
      this.finish(outcome, this.stream ? (outcome.reason === 'stream_idle_timeout' ? 'idle_timeout' : 'upstream_error') : null);
      return;
    }
    this.bytesOut += sendProxyError(this.res, outcome.status, outcome.reason);
    this.headersSent();
    this.finish(outcome, null);
  }

  /** Response headers went to the client (the upstream's, or the proxy's own answer): time to headers. */
  private headersSent(): void {
    this.headersMs = performance.now() - this.started;
    this.ctx.recorder.headers(this);
  }

  private finish(outcome: Outcome, streamEnd: StreamEnd | null): void {
    if (this.finished) return;
    this.finished = true;
    this.stopStallWatch();
    this.res.off('close', onResponseClose);
    this.tap?.close();
    this.ctx.release(this);
    this.outcome = outcome;
    const end = performance.now();
    this.totalMs = end - this.started;
    this.endedAt = wallTime(end);
    this.streamEnd = this.stream ? streamEnd : null;
    this.ctx.recorder.finish(this, this.ctx.accessLog);
  }
}
