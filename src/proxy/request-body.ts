/**
 * A request body as undici reads it: an async iterable over the client's request stream that
 * counts the bytes actually received and times out a client that stops sending.
 *
 * The idle timer runs only while the proxy is waiting for the client's next chunk. While undici
 * has not started on the body yet (the upstream connection is still being made) or is waiting for
 * the upstream to take what it has (backpressure), the client cannot be blamed for silence: TCP
 * flow control is holding it back, so the timer does not run.
 */
import type { Readable } from 'node:stream';

/** What the body tells the exchange it belongs to. */
export interface BodyWatcher {
  /** A chunk of `bytes` bytes arrived from the client. */
  bodyReceived(bytes: number): void;
  /**
   * No chunk for the idle time while the proxy was waiting for one. Returns true when nobody
   * needs the rest of the body any more (the exchange is over), so the request is dropped.
   */
  bodyIdle(): boolean;
  /** Reading the client's body failed: the client went away or its connection was closed. */
  bodyFailed(): void;
}

/** The client's body `req` for undici's `body` option; `idleMs` is `timeouts.clientBody`. */
export async function* requestBody(req: Readable, idleMs: number, watcher: BodyWatcher): AsyncGenerator<Buffer, void, undefined> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let waiting = false;
  const onIdle = (): void => {
    if (waiting && watcher.bodyIdle()) req.destroy();
  };
  let timer: NodeJS.Timeout | null = null;
  try {
    for (;;) {
      // refresh() re-arms a timer that already fired (it fires and does nothing while not waiting).
      if (timer === null) timer = setTimeout(onIdle, idleMs);
      else timer.refresh();
      waiting = true;
      let step: IteratorResult<Buffer>;
      try {
        step = await chunks.next();
      } catch (err) {
        watcher.bodyFailed();
        throw err;
      } finally {
        waiting = false;
      }
      if (step.done) return;
      watcher.bodyReceived(step.value.length);
      yield step.value;
    }
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
