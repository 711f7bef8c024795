/**
 * The contract between the proxy's hot path and stream analysis. The proxy creates one tap per
 * SSE response and hands it every chunk *after* writing the chunk to the client; the tap must
 * never throw (it catches its own faults, counts them in `analysis_errors_total` and stops analysing).
 */
/** One SSE response being analysed. */
export interface StreamTap {
  /** Called with every body chunk, in order, after it was forwarded. */
  write(chunk: Buffer): void;
  /** The stream ended (for whatever reason); flush nothing, release per-connection trackers. */
  close(): void;
}
