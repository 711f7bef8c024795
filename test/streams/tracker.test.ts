import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { StreamSeries } from '../../src/gateways/counts.js';
import { createTrackerStore, type TrackerOwner } from '../../src/streams/tracker.js';
import { mulberry32 } from '../../src/simulator/prng.js';

/** A series that keeps flushed totals in plain numbers. */
function totals(): StreamSeries & { total: Record<string, number> } {
  const total = { missing: 0, outOfOrder: 0, duplicate: 0, resets: 0, sequenced: 0 };
  const s = {
    mac: null, events: 0, missing: 0, outOfOrder: 0, duplicate: 0, resets: 0, sequenced: 0, requested: 0, total,
    flush() {
      total.missing += s.missing; total.outOfOrder += s.outOfOrder; total.duplicate += s.duplicate;
      total.resets += s.resets; total.sequenced += s.sequenced;
      s.missing = s.outOfOrder = s.duplicate = s.resets = s.sequenced = 0;
    },
  };
  return s;
}

function store(opts: { window?: number; windowTime?: number; max?: number; now?: () => number } = {}) {
  return createTrackerStore({
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    window: opts.window ?? 64,
    windowTime: opts.windowTime ?? 5000,
    maxTrackers: opts.max ?? 1000,
    now: opts.now ?? (() => 0),
    sweepInterval: 0,
  });
}

/** Feeds numbers to one source, then closes the stream; returns the totals. */
function feed(seqs: number[], opts: { window?: number; modulus?: number; close?: boolean } = {}) {
  const st = store(opts);
  const owner: TrackerOwner = new Map();
  const s = totals();
  for (const n of seqs) st.observe(owner, 'dev', n, opts.modulus ?? 0, s);
  s.flush();
  if (opts.close !== false) st.release(owner);
  st.close();
  const { missing, outOfOrder, duplicate, resets, sequenced } = s.total;
  return { missing, outOfOrder, duplicate, resets, sequenced };
}

const M16 = 65536;
const M32 = 2 ** 32;
const z = { missing: 0, outOfOrder: 0, duplicate: 0, resets: 0 };

describe('sequence tracker', () => {
  it.each([
    { name: 'in order', seqs: [5, 6, 7, 8], want: z },
    { name: 'duplicate of highest', seqs: [5, 6, 6, 7], want: { ...z, duplicate: 1 } },
    { name: 'duplicate inside window', seqs: [5, 6, 7, 6], want: { ...z, duplicate: 1 } },
    { name: 'neighbour swap is out of order, not missing', seqs: [5, 7, 6, 8], want: { ...z, outOfOrder: 1 } },
    { name: 'duplicate of a late arrival', seqs: [5, 7, 6, 6, 8], want: { ...z, outOfOrder: 1, duplicate: 1 } },
    { name: 'single gap', seqs: [1, 2, 4, 5], want: { ...z, missing: 1 } },
    { name: 'gap of three', seqs: [10, 14], want: { ...z, missing: 3 } },
    { name: 'gap partly filled', seqs: [10, 14, 12], want: { ...z, missing: 2, outOfOrder: 1 } },
    { name: 'number below baseline is out of order', seqs: [10, 11, 9], want: { ...z, outOfOrder: 1 } },
    { name: 'backward beyond window is a reset', seqs: [1000, 1001, 3, 4], want: { ...z, resets: 1 } },
    { name: 'reset counts gaps skipped before it', seqs: [1000, 1003, 3, 4], want: { ...z, resets: 1, missing: 2 } },
    { name: 'huge forward jump is a reset', seqs: [1, 2, 50_000, 50_001], want: { ...z, resets: 1 } },
    { name: 'forward jump below the reset bound is loss', seqs: [1, 9_001], want: { ...z, missing: 8_999 } },
    { name: 'gap larger than the window', seqs: [0, 200, 201], want: { ...z, missing: 199 } },
  ])('$name', ({ seqs, want }) => {
    expect(feed(seqs)).toEqual({ ...want, sequenced: seqs.length });
  });

  it.each([
    { name: '16-bit wrap in order', seqs: [65534, 65535, 0, 1], modulus: M16, want: z },
    { name: '16-bit wrap with a gap', seqs: [65534, 0, 1], modulus: M16, want: { ...z, missing: 1 } },
    { name: '16-bit wrap with a swap', seqs: [65535, 1, 0, 2], modulus: M16, want: { ...z, outOfOrder: 1 } },
    { name: '16-bit duplicate across wrap', seqs: [65535, 0, 65535], modulus: M16, want: { ...z, duplicate: 1 } },
    { name: '16-bit reboot is a reset', seqs: [30_000, 30_001, 0, 1], modulus: M16, want: { ...z, resets: 1 } },
    { name: '32-bit wrap in order', seqs: [M32 - 2, M32 - 1, 0, 1], modulus: M32, want: z },
    { name: '32-bit wrap with a gap', seqs: [M32 - 1, 2], modulus: M32, want: { ...z, missing: 2 } },
  ])('$name', ({ seqs, modulus, want }) => {
    expect(feed(seqs, { modulus })).toEqual({ ...want, sequenced: seqs.length });
  });

  it('a gap expires by count once it falls more than W below the highest', () => {
    const st = store({ window: 8 });
    const owner: TrackerOwner = new Map();
    const s = totals();
    st.observe(owner, 'd', 0, 0, s);
    st.observe(owner, 'd', 2, 0, s); // 1 pending
    for (let n = 3; n <= 9; n++) st.observe(owner, 'd', n, 0, s); // 1 is exactly 8 below 9
    s.flush();
    expect(s.total.missing).toBe(0);
    st.observe(owner, 'd', 10, 0, s); // now 9 below: missing
    s.flush();
    expect(s.total.missing).toBe(1);
    st.observe(owner, 'd', 1, 0, s); // beyond the window: a reset, not a late arrival
    s.flush();
    expect(s.total).toMatchObject({ missing: 1, outOfOrder: 0, resets: 1 });
    st.close();
  });

  it('a gap expires by time through the sweep, with a controllable clock', () => {
    let t = 1_000;
    const st = store({ windowTime: 5000, now: () => t });
    const owner: TrackerOwner = new Map();
    const s = totals();
    st.observe(owner, 'd', 0, 0, s);
    st.observe(owner, 'd', 3, 0, s); // 1, 2 pending since t=1000
    t = 5_000;
    st.observe(owner, 'd', 6, 0, s); // 4, 5 pending since t=5000
    t = 6_000;
    st.sweep();
    expect(s.total.missing).toBe(0); // 5 s not yet passed
    t = 6_001;
    st.sweep();
    expect(s.total.missing).toBe(2); // 1 and 2; 4 and 5 are younger
    st.observe(owner, 'd', 4, 0, s); // a late arrival still fills its gap
    s.flush();
    expect(s.total.outOfOrder).toBe(1);
    t = 10_001;
    st.sweep();
    expect(s.total.missing).toBe(3); // 5
    st.close();
  });

  it('close flushes pending gaps as missing and frees the trackers', () => {
    const st = store();
    const owner: TrackerOwner = new Map();
    const s = totals();
    st.observe(owner, 'a', 1, 0, s);
    st.observe(owner, 'a', 4, 0, s);
    st.observe(owner, 'b', 7, 0, s);
    expect(st.size()).toBe(2);
    st.release(owner);
    expect(s.total.missing).toBe(2);
    expect(st.size()).toBe(0);
    expect(owner.size).toBe(0);
    st.close();
  });

  it('two owners are independent sources', () => {
    const st = store();
    const a: TrackerOwner = new Map();
    const b: TrackerOwner = new Map();
    const s = totals();
    st.observe(a, 'dev', 10, 0, s);
    st.observe(b, 'dev', 500, 0, s); // another connection: its own baseline
    st.observe(a, 'dev', 11, 0, s);
    st.observe(b, 'dev', 501, 0, s);
    s.flush();
    expect(s.total).toMatchObject({ missing: 0, resets: 0, duplicate: 0 });
    st.close();
  });

  it('evicts the least recently seen tracker at the bound and counts it', () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const st = createTrackerStore({ metrics, window: 64, windowTime: 5000, maxTrackers: 3, sweepInterval: 0 });
    const owner: TrackerOwner = new Map();
    const s = totals();
    for (const key of ['a', 'b', 'c']) st.observe(owner, key, 1, 0, s);
    st.observe(owner, 'a', 2, 0, s); // a is fresh again; b is the oldest
    st.observe(owner, 'd', 1, 0, s);
    expect([...owner.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(st.size()).toBe(3);
    st.observe(owner, 'b', 5, 0, s); // b comes back with a new baseline: no loss counted
    s.flush();
    expect(s.total.missing).toBe(0);
    expect(owner.has('c')).toBe(false);
    st.close();
  });

  it('works with a window that is not a multiple of 32', () => {
    expect(feed([0, 2, 1, 40, 39, 38, 100], { window: 40 })).toEqual({
      missing: 35 + 59, outOfOrder: 3, duplicate: 0, resets: 0, sequenced: 7,
    });
  });
});


/** The simulator's fault rules (docs/stream-semantics.md) applied to one source. */
function simulate(rand: () => number, count: number, start: number, modulus: number) {
  const written: number[] = [];
  const truth = { missing: 0, duplicate: 0, outOfOrder: 0 };
  let held: number | null = null;
  let pendingDrops = 0;
  for (let i = 0; i < count; i++) {
    const n = modulus === 0 ? start + i : (start + i) % modulus;
    const r = rand();
    const faultable = i > 0 && held === null;
    if (faultable && r < 0.05) { pendingDrops++; continue; }
    if (faultable && r < 0.08) { held = n; continue; }
    written.push(n);
    truth.missing += pendingDrops;
    pendingDrops = 0;
    if (held !== null) {
      written.push(held);
      truth.outOfOrder++;
      held = null;
    } else if (faultable && r < 0.11) {
      written.push(n);
      truth.duplicate++;
    }
  }
  return { written, truth };
}

describe('tracker against the simulator truth', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: counters equal the truth', (seed) => {
    const rand = mulberry32(seed);
    const cases = [
      { start: Math.floor(rand() * 1e6), modulus: 0 },
      { start: 65536 - 15, modulus: 65536 },
      { start: 2 ** 32 - 7, modulus: 2 ** 32 },
    ];
    for (const { start, modulus } of cases) {
      const { written, truth } = simulate(rand, 3000, start, modulus);
      const got = feed(written, { modulus });
      expect({ missing: got.missing, duplicate: got.duplicate, outOfOrder: got.outOfOrder, resets: got.resets })
        .toEqual({ ...truth, resets: 0 });
    }
  });
});
