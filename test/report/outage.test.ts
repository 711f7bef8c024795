/** Outage or link loss: runs of failures and known-offline gateways, nothing ever counted twice or taken back. */
import { describe, expect, it } from 'vitest';
import { OUTAGE_MIN_MS, OUTAGE_RUN, OutageTracker, type Resolved } from '../../src/report/outage.js';

/**
 * Feeds outcomes ('f' failed, 'F' failed while known offline, 's' answered), one every `gapMs`,
 * and sums what they resolved.
 */
function feed(outcomes: string, gapMs = 1000): { failures: number; outage: number; pending: number; outages: number } {
  const t = new OutageTracker();
  const r: Resolved = { failures: 0, outage: 0 };
  let failures = 0;
  let outage = 0;
  let at = 0;
  for (const o of outcomes) {
    at += gapMs;
    if (o === 's') t.success(r);
    else t.failure(o === 'F', at, r);
    failures += r.failures;
    outage += r.outage;
  }
  return { failures, outage, pending: t.pending, outages: t.outages };
}

describe('OutageTracker', () => {
  it.each([
    ['scattered failures are the link\'s', 'sfsfsffs', { failures: 4, outage: 0, pending: 0, outages: 0 }],
    [`a run of ${OUTAGE_RUN} is an outage, all of it`, 'sfffs', { failures: 0, outage: 3, pending: 0, outages: 1 }],
    ['a long run is one outage', 'sffffffffs', { failures: 0, outage: 8, pending: 0, outages: 1 }],
    ['two outages', 'fffsffffs', { failures: 0, outage: 7, pending: 0, outages: 2 }],
    ['known offline: the first failure already is', 'sFs', { failures: 0, outage: 1, pending: 0, outages: 1 }],
    ['failures held before the AC said offline join the outage', 'sffFs', { failures: 0, outage: 3, pending: 0, outages: 1 }],
    ['an undecided run is held, not counted', 'sff', { failures: 0, outage: 0, pending: 2, outages: 0 }],
    ['only answers, nothing to count here', 'sss', { failures: 0, outage: 0, pending: 0, outages: 0 }],
  ])('%s', (_name, outcomes, expected) => {
    expect(feed(outcomes)).toEqual(expected);
  });

  it(`a run of ${OUTAGE_RUN} within ${OUTAGE_MIN_MS} ms is a lossy link's burst, not an outage`, () => {
    expect(feed('sfffs', 100)).toEqual({ failures: 3, outage: 0, pending: 0, outages: 0 });
    // The same run, long enough in time, is one.
    expect(feed('sfffffffffffffffffffffffs', 100)).toEqual({ failures: 0, outage: 23, pending: 0, outages: 1 });
  });

  it('every failure is counted exactly once, as the link\'s or the outage\'s', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let i = 0; i < 60; i++) text += rnd() < 0.4 ? 'f' : rnd() < 0.05 ? 'F' : 's';
      const r = feed(text);
      const failed = [...text].filter((c) => c !== 's').length;
      expect(r.failures + r.outage + r.pending).toBe(failed);
    }
  });
});
