/**
 * Wall-clock time (epoch ms) for a `performance.now()` reading the caller already has. A clock
 * read costs ~0.1 µs on the virtual machines measured (`Date.now()` and `performance.now()`
 * alike), and a request needs both clocks: the monotonic one for its durations, the wall clock for
 * its log line and report bucket. The offset between them is read again once a second (and
 * whenever the monotonic reading goes backwards, i.e. comes from before the last read), so a
 * clock set by NTP is followed within a second.
 */
export type WallClock = (monotonicMs: number) => number;

export function createWallClock(wall: () => number = Date.now, monotonic: () => number = () => performance.now()): WallClock {
  let offset = 0;
  let readAt = Number.NEGATIVE_INFINITY;
  return (monotonicMs) => {
    if (monotonicMs - readAt >= 1000 || monotonicMs < readAt) {
      const mono = monotonic();
      offset = wall() - mono;
      readAt = mono;
    }
    return monotonicMs + offset;
  };
}

/** The process's wall clock for performance.now() readings. */
export const wallTime: WallClock = createWallClock();
