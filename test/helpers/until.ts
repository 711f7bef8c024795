/** Waiting for something observable, with a deadline instead of a fixed sleep. */

/**
 * Polls `check` (sync or async) every `intervalMs` until it returns true; throws naming `what`
 * after `timeoutMs`. The check runs once more after the deadline, so a slow last poll still counts.
 * A check that costs the process under test work (a scrape) deserves a longer interval.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const expired = Date.now() > deadline;
    if (await check()) return;
    if (expired) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves as `promise` does; rejects naming `what` if it has not settled within `timeoutMs`. */
export async function deadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
