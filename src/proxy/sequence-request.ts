/**
 * sequence.request: the proxy asks the AC for sequence numbers on the application's behalf.
 *
 * A `GET` of the notification stream (`/gatt/nodes`, with or without `event=1`) or the combined
 * stream (`/aps/events`), with or without the `/api` prefix, whose query has no `sequence`
 * parameter is forwarded with `sequence=2` appended; its response, when it is an event stream, goes
 * through a rewriter (streams/seqnum-rewriter.ts) that cuts the `seqNum` member from each event, so
 * the client gets the bytes it would have got without it, while the analysis tap sees the numbers.
 *
 * Only these requests take this path: every other request is a plain Exchange, as before.
 */
import { createSeqNumRewriter, type SeqNumRewriter } from '../streams/seqnum-rewriter.js';
import { Exchange } from './exchange.js';

/** Route templates of the streams that carry `seqNum` with `sequence=2` (classify/routes.ts spells them). */
const SEQUENCE_ROUTES: ReadonlySet<string> = new Set(['/api/gatt/nodes', '/gatt/nodes', '/api/aps/events', '/aps/events']);

/** What the proxy appends to the query. */
const SEQUENCE_PARAM = 'sequence=2';

/**
 * The path to send upstream for a request of `method` on `route` (a template) with origin-form
 * `path`, when the proxy should ask for sequence numbers: `path` with `sequence=2` added. Null when
 * the request is not such a stream, or already has a `sequence` parameter (any value, any
 * spelling URLSearchParams decodes to that name): then it is forwarded untouched.
 */
export function sequenceRequestPath(method: string, route: string, path: string): string | null {
  if (method !== 'GET' || !SEQUENCE_ROUTES.has(route)) return null;
  const q = path.indexOf('?');
  if (q === -1) return `${path}?${SEQUENCE_PARAM}`;
  if (new URLSearchParams(path.slice(q + 1)).has('sequence')) return null;
  const last = path.charCodeAt(path.length - 1);
  // `?` or a trailing `&` already separates: adding another would send an empty parameter.
  return last === 0x3f /* ? */ || last === 0x26 /* & */ ? path + SEQUENCE_PARAM : `${path}&${SEQUENCE_PARAM}`;
}

/** An exchange whose request the proxy added `sequence=2` to: its event stream is rewritten for the client. */
export class SequenceRequestExchange extends Exchange {
  override sequenceRequested = true;
  private rewriter: SeqNumRewriter | null = null;

  protected override startStream(): void {
    super.startStream();
    const kind = this.stream;
    if (kind !== 'notification' && kind !== 'combined') return;
    const ctx = this.ctx;
    this.rewriter = createSeqNumRewriter({
      kind,
      maxEventBytes: ctx.maxEventBytes,
      onFallback: (reason) => ctx.sequenceFallback(kind, this.gateway, reason),
    });
  }

  override onData(chunk: Buffer): boolean {
    const rewriter = this.rewriter;
    // Not an event stream (an error answer, say): its body passes as it is.
    if (rewriter === null) return super.onData(chunk);
    return this.forward(rewriter.write(chunk), chunk);
  }

  override onComplete(): void {
    this.release();
    super.onComplete();
  }

  override onError(err: Error): void {
    this.release();
    super.onError(err);
  }

  /** The upstream body is over: bytes the rewriter still holds (an unfinished event) go out unchanged. */
  private release(): void {
    const rewriter = this.rewriter;
    if (rewriter === null) return;
    this.rewriter = null;
    const rest = rewriter.end();
    if (rest.length > 0 && !this.res.destroyed && !this.res.writableEnded) {
      this.bytesOut += rest.length;
      this.res.write(rest);
    }
  }
}
