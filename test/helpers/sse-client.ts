/**
 * An SSE client for tests: the events a client really received (keep-alives excluded, by the
 * product's one SSE reader), and a hash of the raw bytes. Accuracy tests compare what it counts
 * with the simulator's truth, which is independent of any parser.
 */
import { request } from 'undici';
import { createHash } from 'node:crypto';
import { createSseTextReader } from '../../src/streams/sse-parser.js';

export interface SseCapture {
  status: number;
  /** Total bytes received. */
  bytes: number;
  /** Each event's data (the `data:` lines joined). */
  events: string[];
  keepalives: number;
  sha256(): string;
  /** Every byte received so far, in order. */
  raw(): Buffer;
  /** Resolves when the server ends the stream (or it breaks). */
  done: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseCapture> {
  const controller = new AbortController();
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal, bodyTimeout: 0 });
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  const capture: SseCapture = {
    status: res.statusCode,
    bytes: 0,
    events: [],
    keepalives: 0,
    sha256: () => hash.copy().digest('hex'),
    raw: () => Buffer.concat(chunks),
    done: Promise.resolve(),
    close: () => controller.abort(),
  };
  const reader = createSseTextReader({
    event: (text) => { capture.events.push(text); },
    keepAlive: () => { capture.keepalives += 1; },
  });
  capture.done = (async () => {
    try {
      for await (const chunk of res.body) {
        hash.update(chunk as Buffer);
        chunks.push(chunk as Buffer);
        capture.bytes += (chunk as Buffer).length;
        reader.write(chunk as Buffer);
      }
    } catch {
      // aborted or broken: what was received is what counts
    }
  })();
  return capture;
}
