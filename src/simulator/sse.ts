/**
 * One open event stream to one client: batching of writes, keep-alives, and the per-connection
 * fault engine that decides drop / duplicate / reorder for sequenced events and keeps the truth.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FaultProfile } from './profile.js';
import type { Rng } from './prng.js';
import type { SimStreamKind, StreamTruth } from './truth.js';

/** How keep-alives look on the wire: `:keep-alive` comment, `event: keep-alive`, `data: keep-alive`, or rotating. */
export type KeepaliveForm = 'comment' | 'event' | 'data' | 'mixed';

const KEEPALIVES: Record<Exclude<KeepaliveForm, 'mixed'>, string> = {
  comment: ':keep-alive\n\n',
  event: 'event: keep-alive\ndata: \n\n',
  data: 'data: keep-alive\n\n',
};
const MIXED = [KEEPALIVES.comment, KEEPALIVES.event, KEEPALIVES.data];

/** A client that reads slower than this many buffered bytes is cut off, as a real server would. */
const MAX_BUFFERED = 16 * 1024 * 1024;

interface SourceState {
  /** Drops not yet counted: they become `dropped` when a later event of the source is written. */
  pending: number;
  /** An event held back for a reorder, written right after the next event of the source. */
  held: string | null;
}

/** Query options of a stream request that change what is written. */
export interface StreamParams {
  timestamp: boolean;
  sequence: boolean;
  active: boolean;
  /** Scan filters (`filter_mac`, `filter_name`, `filter_rssi`, `filter_uuid`); null when none. */
  filter: ScanFilter | null;
}

/** The scan filters of one stream; an absent field filters nothing. */
export interface ScanFilter {
  macs?: Set<string>;
  names?: string[];
  minRssi?: number;
  uuids?: string[];
}

/** Request header a test client sets to get this stream's bytes accounted in `GET /__sim/streams`. */
export const STREAM_ID_HEADER = 'x-sim-stream-id';

/** What was written on one tagged stream: a test compares it with what its client received. */
export interface StreamBytes {
  kind: SimStreamKind;
  bytes: number;
  sha256: string;
}

/** One open SSE response. */
export class SseConn {
  closed = false;
  /** The client's `x-sim-stream-id`, when it asked for byte accounting. */
  readonly tag: string | null;
  private readonly hash: Hash | null;
  private bytesWritten = 0;
  private buf = '';
  private readonly sources = new Map<number, SourceState>();
  private readonly keepaliveTimer: NodeJS.Timeout;
  private keepalives = 0;

  constructor(
    readonly res: ServerResponse,
    readonly kind: SimStreamKind,
    readonly params: StreamParams,
    private readonly rng: Rng,
    keepaliveMs: number,
    private readonly keepaliveForm: KeepaliveForm,
    onClose: (conn: SseConn) => void,
  ) {
    const tag = res.req?.headers[STREAM_ID_HEADER];
    this.tag = typeof tag === 'string' && tag.length > 0 ? tag : null;
    this.hash = this.tag ? createHash('sha256') : null;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    this.keepaliveTimer = setInterval(() => this.keepalive(), keepaliveMs);
    res.once('close', () => {
      this.closed = true;
      clearInterval(this.keepaliveTimer);
      // A held (reordered) event is discarded here: nothing later was written, so it counts nowhere.
      this.sources.clear();
      onClose(this);
    });
  }

  /**
   * Queues one event. `profile` null means unsequenced: always written once, in order. Otherwise
   * the source's first event on this connection is written untouched, and later ones may be
   * dropped, duplicated or held back for a swap with the next event of the same source.
   */
  emit(source: number, event: string, truth: StreamTruth, profile: FaultProfile | null): void {
    if (this.closed) return;
    if (profile === null) {
      this.buf += event;
      truth.delivered++;
      return;
    }
    const state = this.sources.get(source);
    if (state === undefined) {
      this.sources.set(source, { pending: 0, held: null });
      this.buf += event;
      truth.delivered++;
      return;
    }
    // One draw per sequenced event whatever happens, so the fault sequence depends on the
    // event sequence only.
    const u = this.rng();
    if (state.held !== null) {
      this.write(state, event, truth);
      this.write(state, state.held, truth);
      truth.reordered++;
      state.held = null;
      return;
    }
    let edge = profile.drop;
    if (u < edge) {
      state.pending++;
      return;
    }
    edge += profile.duplicate;
    if (u < edge) {
      this.write(state, event, truth);
      this.write(state, event, truth);
      truth.duplicated++;
      return;
    }
    edge += profile.reorder;
    if (u < edge) {
      state.held = event;
      return;
    }
    this.write(state, event, truth);
  }

  /** Queues text that is not an event of any gateway (the combined stream's state snapshot). */
  raw(text: string): void {
    if (!this.closed) this.buf += text;
  }

  private write(state: SourceState, event: string, truth: StreamTruth): void {
    this.buf += event;
    truth.delivered++;
    if (state.pending > 0) {
      truth.dropped += state.pending;
      state.pending = 0;
    }
  }

  /** Writes everything queued since the last flush in one chunk. */
  flush(): void {
    if (this.buf.length === 0) return;
    if (!this.closed) {
      this.send(this.buf);
      if (this.res.writableLength > MAX_BUFFERED) this.res.destroy();
    }
    this.buf = '';
  }

  private keepalive(): void {
    if (this.closed) return;
    this.flush();
    const text = this.keepaliveForm === 'mixed' ? MIXED[this.keepalives % 3] : KEEPALIVES[this.keepaliveForm];
    this.keepalives++;
    this.send(text ?? KEEPALIVES.comment);
  }

  private send(text: string): void {
    this.res.write(text);
    if (this.hash) {
      this.hash.update(text);
      this.bytesWritten += Buffer.byteLength(text);
    }
  }

  /** Bytes written so far on a tagged stream. */
  written(): StreamBytes | null {
    return this.hash ? { kind: this.kind, bytes: this.bytesWritten, sha256: this.hash.copy().digest('hex') } : null;
  }

  /** Ends the stream from the server side, gracefully: every byte written so far reaches the client. */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.keepaliveTimer);
    this.res.end();
  }
}
