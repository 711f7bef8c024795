/**
 * Small seeded pseudo-random numbers: the simulator's faults must be reproducible from a seed,
 * so nothing here touches Math.random.
 */

/** A function returning uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for fault injection (not for crypto). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, so every purpose ("requests of gateway 3", …) gets its own stream. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** An independent generator for one purpose under one seed. */
export function rngFor(seed: number | string, purpose: string): Rng {
  return mulberry32(hashString(`${seed}\u0000${purpose}`));
}

/** Uniform integer in [min, max]. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}
