/**
 * A deliberately simple, independent SSE reader for tests (not the proxy's parser): counts the
 * events a client really received, keep-alives excluded, and hashes the raw bytes.
 */
import { request } from 'undici';
import { createHash } from 'node:crypto';

export interface SseCapture {
  status: number;
  /** Total bytes received. */
  bytes: number;
  events: string[];
  keepalives: number;
  sha256(): string;
  /** Resolves when the server ends the stream (or it breaks). */
  done: Promise<void>;
  close(): void;
}

function isKeepalive(block: string): boolean {
  const lines = block.split('\n');
  if (lines.every((l) => l.startsWith(':'))) return true;
  if (lines.some((l) => /^event: ?keep-?alive$/i.test(l))) return true;
  const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
  return data.length <= 64 && /keep-?alive/i.test(data);
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseCapture> {
  const controller = new AbortController();
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal, bodyTimeout: 0 });
  const hash = createHash('sha256');
  const capture: SseCapture = {
    status: res.statusCode,
    bytes: 0,
    events: [],
    keepalives: 0,
    sha256: () => hash.copy().digest('hex'),
    done: Promise.resolve(),
    close: () => controller.abort(),
  };
  let buffer = '';
  capture.done = (async () => {
    try {
      for await (const chunk of res.body) {
        hash.update(chunk as Buffer);
        capture.bytes += (chunk as Buffer).length;
        buffer += (chunk as Buffer).toString('utf8').replace(/\r\n?/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block) continue;
          if (isKeepalive(block)) capture.keepalives += 1;
          else capture.events.push(block);
        }
      }
    } catch {
      // aborted or broken: what was received is what counts
    }
  })();
  return capture;
}
