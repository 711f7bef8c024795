/**
 * A buffered, asynchronous line writer for pino. sonic-boom (pino.destination) either makes one
 * write per line (~10 µs of hand-off per request at load) or, with `minLength`, re-measures its
 * whole pending buffer on every line (`Buffer.byteLength` of up to 16 KiB per write): both showed
 * up as a large share of the proxy's CPU per request. This writer appends lines to an array and
 * writes them in one `fs.write` once `flushBytes` accumulated, or every `intervalMs`, so the cost
 * per line is an array push.
 *
 * Never blocks the event loop on a slow reader (EAGAIN is retried later); past `maxBufferBytes`
 * of unwritten lines it drops new ones and counts them, because a proxy must not run out of memory
 * over its logs. `flushSync()` writes everything before the process exits.
 */
import { closeSync, openSync, write, writeSync } from 'node:fs';

export interface LineWriter {
  write(line: string): boolean;
  /** Starts writing what is buffered now (also runs on the timer). */
  flush(): void;
  /** Writes everything buffered, synchronously (for exit). */
  flushSync(): void;
  /** Lines dropped because the reader could not keep up. */
  dropped(): number;
  end(): void;
}

export interface LineWriterOptions {
  flushBytes?: number;
  intervalMs?: number;
  maxBufferBytes?: number;
}

const RETRY_MS = 20;

/** A writer for a file descriptor (1 = stdout) or a file path (appended to). */
export function createLineWriter(target: number | string, opts: LineWriterOptions = {}): LineWriter {
  const flushBytes = opts.flushBytes ?? 8 * 1024;
  const maxBufferBytes = opts.maxBufferBytes ?? 8 * 1024 * 1024;
  const fd = typeof target === 'number' ? target : openSync(target, 'a');
  let lines: string[] = [];
  let size = 0;
  /** Bytes taken out of `lines` and not yet written (being written, or waiting for a retry). */
  let inFlight: Buffer | null = null;
  /** An fs.write call is outstanding. */
  let writing = false;
  let droppedLines = 0;
  let retry: NodeJS.Timeout | null = null;

  const writeNext = (): void => {
    if (writing) return;
    if (inFlight === null) {
      if (size === 0) return;
      inFlight = Buffer.from(lines.join(''), 'utf8');
      lines = [];
      size = 0;
    }
    const buf = inFlight;
    writing = true;
    write(fd, buf, 0, buf.length, null, (err, written) => {
      writing = false;
      if (inFlight !== buf) return; // flushSync took over at exit
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          retry ??= setTimeout(() => { retry = null; writeNext(); }, RETRY_MS);
          retry.unref();
          return;
        }
        // The log's reader is gone: nothing else can take these lines.
        inFlight = null;
        return;
      }
      inFlight = written < buf.length ? buf.subarray(written) : null;
      if (inFlight !== null || size >= flushBytes) writeNext();
    });
  };

  const timer = setInterval(writeNext, opts.intervalMs ?? 1000);
  timer.unref();

  return {
    write(line) {
      if (size + (inFlight?.length ?? 0) > maxBufferBytes) {
        droppedLines += 1;
        return false;
      }
      lines.push(line);
      size += line.length;
      if (size >= flushBytes) writeNext();
      return true;
    },
    flush: writeNext,
    flushSync() {
      // Bytes of an outstanding async write are the kernel's already (or about to be): writing them
      // again would duplicate lines. A remainder waiting for a retry is ours to write.
      const owned = !writing && inFlight !== null ? inFlight : Buffer.alloc(0);
      const pending = Buffer.concat([owned, Buffer.from(lines.join(''), 'utf8')]);
      inFlight = null;
      lines = [];
      size = 0;
      let offset = 0;
      for (let attempts = 0; offset < pending.length && attempts < 1000; attempts++) {
        try {
          offset += writeSync(fd, pending, offset);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        }
      }
    },
    dropped: () => droppedLines,
    end() {
      clearInterval(timer);
      if (retry) clearTimeout(retry);
      this.flushSync();
      if (typeof target === 'string') closeSync(fd);
    },
  };
}
