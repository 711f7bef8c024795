/** What the proxy knows about one finished exchange: what the recorder and the access log read. */
import type { Outcome } from '../classify/outcome.js';
import type { GatewayHandle } from '../gateways/handle.js';
import type { AcError, StreamKind } from '../vocabulary.js';

/** How an event stream ended (the `end` label). */
export type StreamEnd = 'client_closed' | 'upstream_closed' | 'upstream_error' | 'idle_timeout' | 'shutdown' | 'client_stalled';

/** Everything known about one finished exchange. */
export interface ExchangeRecord {
  route: string;
  method: string;
  gateway: GatewayHandle;
  outcome: Outcome;
  /** ms from request start to response headers (or to the proxy's error answer); -1 if never. */
  headersMs: number;
  totalMs: number;
  /** Wall-clock time (epoch ms) when it finished. */
  endedAt: number;
  bytesIn: number;
  bytesOut: number;
  stream: StreamKind | null;
  streamEnd: StreamEnd | null;
  /** The proxy added `sequence=2` to the request (sequence.request). */
  sequenceRequested: boolean;
  /** What the AC said in its error answer (status 400 or above, not a stream); null for any other exchange. */
  acError: AcError | null;
}
