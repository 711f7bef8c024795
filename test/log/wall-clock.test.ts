import { describe, expect, it } from 'vitest';
import { createWallClock, wallTime } from '../../src/wall-clock.js';

describe('wall clock from performance.now() readings', () => {
  it('agrees with Date.now() for the real clocks', () => {
    const before = Date.now();
    const t = wallTime(performance.now());
    const after = Date.now();
    // Both clocks have ms resolution or better; allow rounding of the offset.
    expect(t).toBeGreaterThanOrEqual(before - 2);
    expect(t).toBeLessThanOrEqual(after + 2);
  });

  it('reads the wall clock at most once a second, and follows it when it is set', () => {
    let wall = 1_000_000;
    let mono = 50;
    let reads = 0;
    const clock = createWallClock(() => { reads++; return wall; }, () => mono);
    expect(clock(50)).toBe(1_000_000);
    expect(clock(700)).toBe(1_000_650);
    expect(reads).toBe(1);
    // The wall clock is set forward by an hour: seen at the first reading a second after the last read.
    wall += 3_600_000 + 1000;
    mono = 1050;
    expect(clock(1049)).toBe(1_000_999);
    expect(clock(1050)).toBe(4_601_000);
    expect(reads).toBe(2);
    // A reading from before the last read (taken earlier, used late) reads again rather than guess.
    expect(clock(1000)).toBe(4_600_950);
    expect(reads).toBe(3);
  });
});
