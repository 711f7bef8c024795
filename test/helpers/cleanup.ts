/** Teardown for tests that start servers: everything registered is closed after each test, last first. */
import { afterEach } from 'vitest';

export interface Cleanup {
  /** Runs `fn` after the current test. */
  defer(fn: () => Promise<void> | void): void;
  /** Closes `server` after the current test; returns it. */
  track<T extends { close(): Promise<void> }>(server: T): T;
}

/** Call at the top of a test file. */
export function cleanupAfterEach(): Cleanup {
  const pending: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (pending.length) await pending.pop()?.();
  });
  return {
    defer: (fn) => void pending.push(fn),
    track(server) {
      pending.push(() => server.close());
      return server;
    },
  };
}
