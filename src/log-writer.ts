/**
 * A buffered line writer for pino and the access log. sonic-boom (pino.destination) either makes
 * one write per line (~10 µs of hand-off per request at load) or, with `minLength`, re-measures
 * its whole pending buffer on every line (`Buffer.byteLength` of up to 16 KiB per write): both
 * showed up as a large share of the proxy's CPU per request. This writer appends each line's
 * bytes to a buffer and writes them in one system call once `flushBytes` accumulated, or every
 * `intervalMs`. Hot-path lines are written into that buffer directly (`writeBytes`): building
 * the line as a string and then copying it out (flattening the concatenation, then encoding)
 * cost twice as much as the bytes themselves.
 *
 * It never blocks the event loop on a slow reader. How it writes depends on the target:
 * - a FIFO (the stdout docker and containerd give a container; a shell pipe) or a character
 *   device (a terminal, /dev/null): on Linux it opens the same pipe again through
 *   `/proc/self/fd/N` with `O_NONBLOCK` (a file description of its own, so the flag does not leak
 *   to other processes sharing the pipe) and writes synchronously from the event loop — a full
 *   pipe answers EAGAIN at once and the rest is retried RETRY_MS later;
 * - a regular file: synchronous writes (they never wait for a reader);
 * - anything else (a socket: systemd's journal stream, a Node parent's stdio 'pipe'; or no
 *   `/proc`): asynchronous `fs.write` on libuv's thread pool. That hand-off costs the event loop
 *   far more per write than the system call itself — a thread wake-up and two context switches:
 *   ~0.2 ms of wall time per 8 KiB batch in a CPU profile of the proxy pinned to one core of a
 *   2-core VM, 8.4 % of its busy time, against 2.1 % for direct writes into a FIFO — so it is
 *   only the fallback, with batches as large as a pipe's buffer.
 *
 * Past `maxBufferBytes` of unwritten lines it drops new ones and counts them, because a proxy
 * must not run out of memory over its logs. `flushSync()` writes everything before the process exits.
 */
import { closeSync, constants, fstatSync, openSync, write, writeSync } from 'node:fs';

/** Writes at most the bytes it was granted into `buf` from `off` on and returns the new end offset. */
export type ByteFill<T> = (buf: Buffer, off: number, item: T) => number;

export interface LineWriter {
  /** How bytes reach the kernel: `direct` system calls from the event loop, or the thread `pool`. */
  readonly mode: 'direct' | 'pool';
  write(line: string): boolean;
  /**
   * Appends one line that `fill` writes straight into the buffer (at most `maxBytes`, newline
   * included): no string is built for it. For lines on the hot path (the access log).
   */
  writeBytes<T>(maxBytes: number, fill: ByteFill<T>, item: T): boolean;
  /** Starts writing what is buffered now (also runs on the timer). */
  flush(): void;
  /** Writes everything buffered, synchronously (for exit). */
  flushSync(): void;
  /** Lines dropped because the reader could not keep up (or is gone). */
  dropped(): number;
  end(): void;
}

export interface LineWriterOptions {
  flushBytes?: number;
  intervalMs?: number;
  maxBufferBytes?: number;
}

type Mode = LineWriter['mode'];

const RETRY_MS = 20;

interface Target {
  fd: number;
  mode: Mode;
  /**
   * Where flushSync writes at exit: the original descriptor, which may block until the reader
   * takes the last lines (as process.stdout does), rather than lose them to EAGAIN.
   */
  exitFd: number;
  /** Closes what the writer opened itself. */
  close(): void;
}

/** Picks the way to write to `target`: a file descriptor, or a path it opens for appending. */
function openTarget(target: number | string): Target {
  const original = typeof target === 'string' ? openSync(target, 'a') : target;
  const opened: number[] = typeof target === 'string' ? [original] : [];
  const as = (fd: number, mode: Mode): Target => ({ fd, mode, exitFd: original, close: () => opened.forEach((o) => closeSync(o)) });
  let stat;
  try {
    stat = fstatSync(original);
  } catch {
    return as(original, 'pool');
  }
  if (stat.isFile()) return as(original, 'direct');
  if (stat.isFIFO() || stat.isCharacterDevice()) {
    try {
      const fd = openSync(`/proc/self/fd/${original}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND);
      opened.push(fd);
      return as(fd, 'direct');
    } catch {
      // No /proc (not Linux), a FIFO without a reader, or a target that cannot be opened again.
    }
  }
  return as(original, 'pool');
}

/** A writer for a file descriptor (1 = stdout) or a file path (appended to). */
export function createLineWriter(target: number | string, opts: LineWriterOptions = {}): LineWriter {
  const { fd, mode, exitFd, close } = openTarget(target);
  const flushBytes = opts.flushBytes ?? (mode === 'direct' ? 16 * 1024 : 64 * 1024);
  const maxBufferBytes = opts.maxBufferBytes ?? 8 * 1024 * 1024;
  // Lines are appended as bytes to `chunk`; `take()` seals it and hands it to the kernel. A chunk
  // the kernel took whole is kept as the `spare` for the next seal, so a steady log allocates nothing.
  const chunkBytes = Math.max(2 * flushBytes, 64 * 1024);
  let chunk: Buffer = Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  let spare: Buffer | null = null;
  /** Sealed bytes waiting for the one in flight. */
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  /** Bytes taken for writing and not yet written (being written, or waiting for a retry). */
  let inFlight: Buffer | null = null;
  /** An fs.write call is outstanding (pool mode). */
  let writing = false;
  let droppedLines = 0;
  let retry: NodeJS.Timeout | null = null;
  /** The reader is gone (EPIPE and the like): nothing can take lines any more. */
  let broken = false;

  const retryLater = (): void => {
    retry ??= setTimeout(() => { retry = null; writeNext(); }, RETRY_MS);
    retry.unref();
  };

  const seal = (): void => {
    if (used === 0) return;
    queued.push(chunk.subarray(0, used));
    queuedBytes += used;
    chunk = spare ?? Buffer.allocUnsafe(chunkBytes);
    spare = null;
    used = 0;
  };

  /** Room for `bytes` more in the current chunk (a line larger than a chunk gets one of its own). */
  const room = (bytes: number): void => {
    if (used + bytes <= chunk.length) return;
    seal();
    if (bytes > chunk.length) chunk = Buffer.allocUnsafe(bytes);
  };

  /** Whether a new line must be dropped: the reader is gone, or too much is unwritten already. */
  const refuse = (): boolean => {
    if (!broken && used + queuedBytes + (inFlight?.length ?? 0) <= maxBufferBytes) return false;
    droppedLines += 1;
    return true;
  };

  /** Starts a write once enough is buffered (while a retry is pending the pipe is full: keep collecting). */
  const appended = (): void => {
    if (used + queuedBytes >= flushBytes && retry === null) writeNext();
  };

  const take = (): Buffer | null => {
    if (inFlight === null) {
      seal();
      if (queued.length > 0) {
        inFlight = queued.length === 1 ? (queued[0] as Buffer) : Buffer.concat(queued, queuedBytes);
        queued = [];
        queuedBytes = 0;
      }
    }
    return inFlight;
  };

  /** `written` bytes of `buf` (the one in flight) reached the kernel. */
  const wrote = (buf: Buffer, written: number): void => {
    if (written < buf.length) {
      inFlight = buf.subarray(written);
      return;
    }
    inFlight = null;
    // A whole sealed chunk (allocUnsafe of this size has an ArrayBuffer of its own): reuse it.
    if (spare === null && buf.byteOffset === 0 && buf.buffer.byteLength === chunkBytes) spare = Buffer.from(buf.buffer, 0, chunkBytes);
  };

  const fail = (): void => {
    // The log's reader is gone: nothing else can take these lines.
    broken = true;
    inFlight = null;
    queued = [];
    queuedBytes = 0;
    used = 0;
  };

  const writeDirect = (): void => {
    const buf = take();
    if (buf === null) return;
    let written: number;
    try {
      written = writeSync(fd, buf, 0, buf.length);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') retryLater();
      else fail();
      return;
    }
    wrote(buf, written);
    // A partial write means the pipe is full: the rest waits for the retry.
    if (inFlight !== null) retryLater();
  };

  const writePooled = (): void => {
    if (writing) return;
    const buf = take();
    if (buf === null) return;
    writing = true;
    write(fd, buf, 0, buf.length, null, (err, written) => {
      writing = false;
      if (inFlight !== buf) return; // flushSync took over at exit
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') retryLater();
        else fail();
        return;
      }
      wrote(buf, written);
      if (inFlight !== null || used + queuedBytes >= flushBytes) writePooled();
    });
  };

  const writeNext = mode === 'direct' ? writeDirect : writePooled;

  const timer = setInterval(writeNext, opts.intervalMs ?? 1000);
  timer.unref();

  return {
    mode,
    write(line) {
      if (refuse()) return false;
      // At most 3 UTF-8 bytes per UTF-16 code unit.
      room(line.length * 3);
      used += chunk.write(line, used, 'utf8');
      appended();
      return true;
    },
    writeBytes(maxBytes, fill, item) {
      if (refuse()) return false;
      room(maxBytes);
      const end = fill(chunk, used, item);
      if (!(end >= used && end <= used + maxBytes)) throw new RangeError(`a line writer fill returned ${end} for ${maxBytes} bytes at ${used}`);
      used = end;
      appended();
      return true;
    },
    flush: writeNext,
    flushSync() {
      if (broken) return;
      // Bytes of an outstanding async write are the kernel's already (or about to be): writing them
      // again would duplicate lines. A remainder waiting for a retry is ours to write.
      const remainder = !writing && inFlight !== null ? [inFlight] : [];
      seal();
      const pending = Buffer.concat([...remainder, ...queued]);
      inFlight = null;
      queued = [];
      queuedBytes = 0;
      let offset = 0;
      for (let attempts = 0; offset < pending.length && attempts < 1000; attempts++) {
        try {
          offset += writeSync(exitFd, pending, offset);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        }
      }
    },
    dropped: () => droppedLines,
    end() {
      clearInterval(timer);
      if (retry) clearTimeout(retry);
      retry = null;
      this.flushSync();
      close();
    },
  };
}
