/**
 * The contract between the proxy's hot path and stream analysis. The proxy creates one tap per
 * SSE response and hands it every chunk *after* writing the chunk to the client; the tap must
 * never throw (it catches its own faults, counts them in `analysis_errors_total` and stops analysing).
 */
import type { Transport } from '../config/types.js';

/** One SSE response being analysed. */
export interface StreamTap {
  /** Called with every body chunk, in order, after it was forwarded. */
  write(chunk: Buffer): void;
  /** The stream ended (for whatever reason); flush nothing, release per-connection trackers. */
  close(): void;
}

/** Where gateway identity and transport come from (the gateways module implements it). */
export interface GatewayResolver {
  /** Label value for a MAC (normalised, `other` past the cardinality limit). */
  label(mac: string): string;
  transportOf(mac: string): Transport;
}
