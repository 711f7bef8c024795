/**
 * Fixed-width bitmaps stored as runs of 32-bit words inside one shared Int32Array, so that
 * hundreds of thousands of sequence trackers cost a few words each instead of a Set apiece.
 * Every function takes the array, the first word of the bitmap and its width in bits.
 */

/** Words needed for `bits` bits. */
export function wordsFor(bits: number): number {
  return Math.max(1, Math.ceil(bits / 32));
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Mask of bits at or above `from` within word `k` (bits below `from` cleared). */
function maskFrom(k: number, from: number): number {
  const lo = k * 32;
  if (from <= lo) return -1;
  if (from >= lo + 32) return 0;
  return ~((1 << (from - lo)) - 1);
}

/** Mask of the valid bits of word `k` for a `width`-bit map. */
function maskWidth(k: number, width: number): number {
  const top = width - k * 32;
  if (top >= 32) return -1;
  if (top <= 0) return 0;
  return (1 << top) - 1;
}

export function testBit(a: Int32Array, base: number, bit: number): boolean {
  return ((a[base + (bit >>> 5)] ?? 0) & (1 << (bit & 31))) !== 0;
}

export function setBit(a: Int32Array, base: number, bit: number): void {
  const i = base + (bit >>> 5);
  a[i] = (a[i] ?? 0) | (1 << (bit & 31));
}

export function clearBit(a: Int32Array, base: number, bit: number): void {
  const i = base + (bit >>> 5);
  a[i] = (a[i] ?? 0) & ~(1 << (bit & 31));
}

/** Number of set bits with index ≥ `from`. */
export function countFrom(a: Int32Array, base: number, words: number, from: number): number {
  let n = 0;
  for (let k = 0; k < words; k++) {
    const w = (a[base + k] ?? 0) & maskFrom(k, from);
    if (w !== 0) n += popcount(w);
  }
  return n;
}

/** Clears every bit with index ≥ `from`. */
export function clearFrom(a: Int32Array, base: number, words: number, from: number): void {
  for (let k = 0; k < words; k++) a[base + k] = (a[base + k] ?? 0) & ~maskFrom(k, from);
}

/** Sets bits [0, count) (count ≤ width). */
export function setLow(a: Int32Array, base: number, words: number, count: number): void {
  for (let k = 0; k < words; k++) {
    const lo = k * 32;
    if (count <= lo) return;
    a[base + k] = (a[base + k] ?? 0) | (count >= lo + 32 ? -1 : (1 << (count - lo)) - 1);
  }
}

/** Moves every bit from index b to b + d, dropping those that reach `width` or beyond. */
export function shiftUp(a: Int32Array, base: number, words: number, width: number, d: number): void {
  if (d >= width) {
    a.fill(0, base, base + words);
    return;
  }
  const ws = d >>> 5;
  const bs = d & 31;
  for (let k = words - 1; k >= 0; k--) {
    const src = k - ws;
    let v = 0;
    if (src >= 0) {
      v = (a[base + src] ?? 0) << bs;
      if (bs !== 0 && src >= 1) v |= (a[base + src - 1] ?? 0) >>> (32 - bs);
    }
    a[base + k] = v & maskWidth(k, width);
  }
}

/** True when any bit is set. */
export function anySet(a: Int32Array, base: number, words: number): boolean {
  for (let k = 0; k < words; k++) if ((a[base + k] ?? 0) !== 0) return true;
  return false;
}
