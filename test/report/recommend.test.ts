// Verdict tables. Expected z/p computed independently (Python statistics.NormalDist); verdicts
// follow from the documented rule: significant at α = 0.01 and ≥ 1.5× the other rate, with
// ≥ 200 requests or ≥ 1000 sequenced events on both sides.
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, figuresFromCounts as fig, judgeChange, recommend } from '../../src/report/recommend.js';

describe('recommend (CAPWAP gateway vs pooled MQTT)', () => {
  it.each([
    // name, gateway [req, err, seq, miss], mqtt [req, err, seq, miss], verdict, confidence (1 - p) or null
    ['3× the errors, p=0.0014', [1000, 30, 0, 0], [1000, 10, 0, 0], 'move_to_mqtt', 1 - 0.0014013],
    ['errors vs an error-free MQTT pool, p=8.8e-5', [300, 15, 0, 0], [300, 0, 0, 0], 'move_to_mqtt', 1 - 8.76994e-5],
    ['loss 2.9% vs 0.1%, few requests', [10, 0, 5000, 150], [10, 0, 20000, 20], 'move_to_mqtt', 1],
    ['199 requests and 999 events are not enough', [199, 50, 990, 9], [5000, 5, 50000, 5], 'insufficient_data', null],
    ['1.2% vs 1.0% is noise', [1000, 12, 0, 0], [1000, 10, 0, 0], 'no_clear_benefit', null],
    ['significant (p=4e-12) but only 1.1×: immaterial', [1_000_000, 11000, 0, 0], [1_000_000, 10000, 0, 0], 'no_clear_benefit', null],
    ['p=0.054 is not significant at 1%', [200, 5, 0, 0], [250, 1, 0, 0], 'no_clear_benefit', null],
    ['CAPWAP better than MQTT', [1000, 10, 0, 0], [1000, 30, 0, 0], 'no_clear_benefit', null],
  ] as const)('%s', (_name, g, m, verdict, conf) => {
    const r = recommend(fig(g[0], g[1], g[2], g[3]), fig(m[0], m[1], m[2], m[3]), DEFAULT_THRESHOLDS);
    expect(r.verdict).toBe(verdict);
    if (conf === null) expect(r.confidence).toBeNull();
    else expect(r.confidence).toBeCloseTo(conf, 6);
    expect(r.reason.length).toBeGreaterThan(10);
  });

  it('reports the counts behind both sides', () => {
    const r = recommend(fig(1000, 30, 5000, 150), fig(2000, 10, 20000, 20));
    expect(r.errors.a).toMatchObject({ count: 30, total: 1000 });
    expect(r.errors.b).toMatchObject({ count: 10, total: 2000 });
    expect(r.loss.a).toMatchObject({ count: 150, total: 5150 });
    expect(r.loss.b).toMatchObject({ count: 20, total: 20020 });
    expect(r.errors.z).toBeCloseTo(5.6278, 3); // Python: pooled 40/3000 → z = 5.627815
  });
});

describe('judgeChange (before vs after a transport change)', () => {
  it.each([
    ['30/300 → 2/300 errors', [300, 30, 0, 0], [300, 2, 0, 0], 'improved', 1 - 3.63261e-7],
    ['2/300 → 30/300 errors', [300, 2, 0, 0], [300, 30, 0, 0], 'worse', 1 - 3.63261e-7],
    ['too little after the change', [5000, 250, 0, 0], [150, 0, 800, 0], 'insufficient_data', null],
    ['errors better but loss worse: mixed', [300, 30, 20000, 20], [300, 2, 5000, 150], 'no_significant_change', null],
    ['unchanged', [1000, 12, 0, 0], [1000, 10, 0, 0], 'no_significant_change', null],
  ] as const)('%s', (_name, b, a, verdict, conf) => {
    const r = judgeChange(fig(b[0], b[1], b[2], b[3]), fig(a[0], a[1], a[2], a[3]));
    expect(r.verdict).toBe(verdict);
    if (conf === null) expect(r.confidence).toBeNull();
    else expect(r.confidence).toBeCloseTo(conf, 9);
  });
});
