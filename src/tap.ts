/**
 * The contract between the proxy's hot path and whatever learns from the bytes it forwards (stream
 * analysis, hub-list discovery). The proxy opens one tap per response it wants analysed and hands
 * it every chunk *after* writing the chunk to the client, so a tap never delays a byte. Neutral
 * ground: the proxy, the streams and the gateways all speak it without importing each other.
 */

/** One response being analysed. */
export interface StreamTap {
  /** Called with every body chunk, in order, after it was forwarded. */
  write(chunk: Buffer): void;
  /** The response ended (for whatever reason); release what the tap holds. */
  close(): void;
}

/** Opens a tap on a plain (non-stream) response body, by route template and status; null = not interesting. */
export type BodyTapFactory = (route: string, status: number) => StreamTap | null;
